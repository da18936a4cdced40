package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/locale"
	"github.com/signflow/signflow/internal/routing"
	"github.com/signflow/signflow/internal/signers"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/internal/verification"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

// updateTimeout bounds the wait for the workflow to take an action.
const updateTimeout = 30 * time.Second

// requestOrigin is where a recipient's request came from. c.ClientIP
// honours X-Forwarded-For only from the configured trusted proxies.
func requestOrigin(c *gin.Context) contract.Origin {
	return contract.Origin{IP: c.ClientIP(), UserAgent: userAgent(c)}
}

// senderOrigin is the API client behind a sender's request.
func senderOrigin(c *gin.Context) contract.Origin {
	o := requestOrigin(c)
	o.ClientID = principal(c).ClientID
	return o
}

// senderEvent is an audit event caused by the sender's API client; each
// request is its own event.
func senderEvent(c *gin.Context, eventType string) models.Event {
	o := senderOrigin(c)
	return models.Event{Key: "request:" + models.NewID(), Type: eventType, ActorType: models.ActorAPI, Actor: o.ClientID,
		IP: o.IP, UserAgent: o.UserAgent, OccurredAt: time.Now()}
}

// recipientEvent is an audit event caused by a recipient's request.
func recipientEvent(c *gin.Context, r *models.Recipient, eventType string) models.Event {
	return models.Event{Key: "request:" + models.NewID(), EnvelopeID: r.EnvelopeID, TenantID: r.TenantID, Type: eventType,
		ActorType: models.ActorRecipient, Actor: r.Email, RecipientID: r.ID, IP: c.ClientIP(), UserAgent: userAgent(c),
		OccurredAt: time.Now()}
}

// signer resolves the signing token in the path, answering 404 or 410
// itself when it matches no recipient or no longer opens the envelope.
func (s *Server) signer(c *gin.Context) (*models.Recipient, *models.Envelope) {
	r, env := s.linkEnvelope(c)
	if r == nil {
		return nil, nil
	}
	if spent := signers.Spent(r, env); spent != nil {
		linkClosed(c, spent, &closedLink{State: spent.State, YouActed: spent.Used})
		return nil, nil
	}
	return r, env
}

// linkEnvelope is the recipient of the signing token in the path and
// their envelope, open or closed; nil when it has answered 404 or 503.
func (s *Server) linkEnvelope(c *gin.Context) (*models.Recipient, *models.Envelope) {
	r := s.linkRecipient(c)
	if r == nil {
		return nil, nil
	}
	env, err := s.Store.GetEnvelope(c.Request.Context(), r.TenantID, r.EnvelopeID)
	if err != nil {
		s.unavailable(c, "loading the envelope", err)
		return nil, nil
	}
	return r, env
}

// closedLink is why a signing link no longer opens its envelope, for the
// signing page to say what comes next in the signer's language.
type closedLink struct {
	State string `json:"state"`
	// YouActed: the link's recipient signed, approved or declined.
	YouActed bool `json:"you_acted"`
	// Reason is the sender's reason for voiding the envelope.
	Reason string `json:"reason,omitempty"`
	// Copies are the completed documents, offered to whoever may still
	// open the link's envelope (a verified session, or no factor asked).
	Copies []copyLink `json:"copies,omitempty"`
}

// linkClosed answers 410 for a link that no longer opens its envelope.
func linkClosed(c *gin.Context, spent *signers.SpentLink, closed *closedLink) {
	slug := "envelope-closed"
	switch {
	case spent.State == signers.ClosedReplaced:
		slug = "link-replaced"
	case spent.Used:
		slug = "link-used"
	}
	writeProblem(c, Problem{Type: "urn:signflow:problem:" + slug, Title: http.StatusText(http.StatusGone), Status: http.StatusGone,
		Detail: spent.Detail, ClosedLink: closed})
}

// closedView is what the page shows for a closed link: the sender's
// reason for a void, and the completed documents for whoever could read
// them before.
func (s *Server) closedView(c *gin.Context, r *models.Recipient, env *models.Envelope, spent *signers.SpentLink) {
	closed := &closedLink{State: spent.State, YouActed: spent.Used}
	ctx := c.Request.Context()
	switch spent.State {
	case signers.ClosedVoided:
		ev, err := s.Store.LatestEvent(ctx, env.ID, models.EventEnvelopeVoided)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			s.unavailable(c, "reading why the envelope was voided", err)
			return
		}
		if ev != nil {
			closed.Reason, _ = ev.Details["reason"].(string)
		}
	case signers.ClosedCompleted:
		if _, ok := s.session(c, r); ok && env.CompletedAt != nil && s.now().Before(env.CompletedAt.Add(signinglink.CopyValidity)) {
			closed.Copies = s.copyLinks(r, env)
		}
	}
	linkClosed(c, spent, closed)
}

// copyLinks are r's download links of env's completed documents.
func (s *Server) copyLinks(r *models.Recipient, env *models.Envelope) []copyLink {
	base := s.PublicURL + "/v1/copies/" + s.Links.CopyToken(r.ID) + "/documents/"
	var out []copyLink
	for _, d := range env.Documents {
		out = append(out, copyLink{DocumentID: d.ID, Name: d.Name, URL: base + d.ID})
	}
	return out
}

// recipientKey holds the recipient a signing link resolved to.
const recipientKey = "signflow.link.recipient"

// knownLink answers 404 for a signing link that matches no recipient, so
// that nothing (an Idempotency-Key above all) is stored for made-up links.
func (s *Server) knownLink(c *gin.Context) {
	if s.linkRecipient(c) != nil {
		c.Next()
	}
}

// linkRecipient is the recipient the signing token in the path belongs to,
// looked up once a request; nil when it has answered 404 or 503.
func (s *Server) linkRecipient(c *gin.Context) *models.Recipient {
	if r, ok := c.Value(recipientKey).(*models.Recipient); ok {
		return r
	}
	hash := signinglink.Hash(c.Param("token"))
	r, err := s.Store.RecipientByTokenHash(c.Request.Context(), hash)
	if errors.Is(err, models.ErrNotFound) {
		s.unknownLink(c, hash)
		return nil
	}
	if err != nil {
		s.unavailable(c, "checking the signing link", err)
		return nil
	}
	c.Set(recipientKey, r)
	return r
}

// unknownLink answers for a token no recipient holds now: 410 when a
// newer link of its recipient replaced it, so its holder looks for the
// newer email, else 404.
func (s *Server) unknownLink(c *gin.Context, hash string) {
	replaced, err := s.Store.LinkReplaced(c.Request.Context(), hash)
	switch {
	case err != nil:
		s.unavailable(c, "checking the signing link", err)
	case replaced:
		spent := &signers.SpentLink{State: signers.ClosedReplaced,
			Detail: "This link was replaced by a newer one. Use the link in the latest email, or ask the sender to send it again."}
		linkClosed(c, spent, &closedLink{State: spent.State})
	default:
		problem(c, http.StatusNotFound, "invalid-link", "This signing link is not valid. Ask the sender for a new one.")
	}
}

// verifiedSigner resolves the signing token and the verified session the
// recipient's setting asks for, answering 404 or 401 itself when either
// is missing (then r is nil).
func (s *Server) verifiedSigner(c *gin.Context) (r *models.Recipient, env *models.Envelope, session *models.SigningSession) {
	if r, env = s.signer(c); r == nil {
		return nil, nil, nil
	}
	session, ok := s.requireSession(c, r)
	if !ok {
		return nil, nil, nil
	}
	return r, env, session
}

type signingView struct {
	// Verified is true: the link's second factor was proven, or it has none.
	Verified  bool                  `json:"verified"`
	Envelope  signingEnvelope       `json:"envelope"`
	Recipient recipientView         `json:"recipient"`
	Documents []signingDocumentView `json:"documents"`
	Fields    []fieldView           `json:"fields"`
	// Others are the fields other recipients have filled, shown on the
	// page as they will print.
	Others []otherFieldView `json:"others"`
	// Draft is what the recipient entered before in this link, not signed.
	Draft []signing.ValueInput `json:"draft,omitempty"`
	// Sender is the sending tenant's branding, when it has one.
	Sender *senderView `json:"sender,omitempty"`
}

// otherFieldView is another recipient's filled field: where it is and
// what it will show; a drawn signature is an image at
// /v1/signing/{token}/drawn/{field id}.
type otherFieldView struct {
	boxView
	Text    string `json:"text,omitempty"`
	Drawn   bool   `json:"drawn"`
	FieldID string `json:"field_id"`
	// Name is the field's name, which smart fields' conditions refer to.
	Name string `json:"name,omitempty"`
	By   string `json:"by"`
}

// othersFilled lists the fields recipients other than r have filled.
func othersFilled(env *models.Envelope, r *models.Recipient) []otherFieldView {
	names := map[string]string{}
	for _, x := range env.Recipients {
		names[x.ID] = x.Name
	}
	out := []otherFieldView{}
	for _, f := range env.Fields {
		if f.RecipientID == r.ID || (f.Value == "" && f.ImageKey == "") || f.Type == models.FieldAttachment {
			continue
		}
		out = append(out, otherFieldView{boxView: boxOf(f), Text: f.Value, Drawn: f.ImageKey != "", FieldID: f.ID, Name: f.Name,
			By: names[f.RecipientID]})
	}
	return out
}

type signingEnvelope struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Message string `json:"message,omitempty"`
	Status  string `json:"status"`
	// AllowReassign: the recipient may hand their part to someone else.
	AllowReassign bool `json:"allow_reassign"`
	// WaitingFor names who must act before the recipient's turn comes.
	WaitingFor []string `json:"waiting_for,omitempty"`
}

type signingDocumentView struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	PageCount int           `json:"page_count"`
	Pages     []models.Page `json:"pages"`
	URL       string        `json:"url"`
}

func (s *Server) signingView(c *gin.Context) {
	r, env := s.linkEnvelope(c)
	if r == nil {
		return
	}
	if spent := signers.Spent(r, env); spent != nil {
		s.closedView(c, r, env, spent)
		return
	}
	// The first opening of each link is evidence; the rest add nothing, so
	// reloading a page cannot grow the audit trail or the certificate.
	first, err := s.Store.MarkLinkOpened(c.Request.Context(), r.ID, r.LinkGeneration)
	if err == nil && first {
		if err = s.Store.AppendEvent(c.Request.Context(), recipientEvent(c, r, models.EventLinkOpened)); err != nil {
			_ = s.Store.UnmarkLinkOpened(context.WithoutCancel(c.Request.Context()), r.ID, r.LinkGeneration)
		}
	}
	if err != nil {
		s.unavailable(c, "recording the visit", err)
		return
	}
	// A link may be forwarded or intercepted: until its holder proves the
	// second factor, it shows only what is needed to ask for it.
	if _, verified := s.session(c, r); !verified {
		s.gateView(c, r, env)
		return
	}
	v := signingView{
		Verified: true,
		Envelope: signingEnvelope{ID: env.ID, Subject: env.Subject, Message: env.Message, Status: env.Status, AllowReassign: env.AllowReassign,
			WaitingFor: waitingFor(env, r)},
		Recipient: recipientView{ID: r.ID, Name: r.Name, Email: r.Email, Phone: r.Phone, Role: r.Role, RoutingOrder: r.RoutingOrder,
			Meaning: r.Meaning, DefaultMeaning: locale.IsDefaultMeaning(r.Meaning, r.Role), Locale: cmp.Or(r.Locale, env.Locale),
			Authentication: r.Authentication, Reauthenticate: r.Reauthenticate, Status: r.Status},
		Documents: []signingDocumentView{},
		Fields:    fieldViews(env.Fields, r.ID),
		Others:    othersFilled(env, r),
	}
	if r.IdentityVerification == models.IdentityRequired {
		confirmed, err := s.Verifier.IdentityConfirmed(c.Request.Context(), r)
		if err != nil {
			s.unavailable(c, "reading the identity checks", err)
			return
		}
		v.Recipient.IdentityVerification, v.Recipient.IdentityConfirmed = r.IdentityVerification, &confirmed
	}
	if v.Draft, err = s.draft(c, r); err != nil {
		s.unavailable(c, "reading what you entered before", err)
		return
	}
	if v.Sender, err = s.sender(c, r); err != nil {
		s.unavailable(c, "loading the sender's branding", err)
		return
	}
	base := s.PublicURL + signinglink.APIPath(c.Param("token")) + "/documents/"
	for _, d := range env.Documents {
		v.Documents = append(v.Documents, signingDocumentView{ID: d.ID, Name: d.Name, PageCount: d.PageCount, Pages: d.Pages, URL: base + d.ID})
	}
	c.JSON(http.StatusOK, v)
}

// signingGate is what a link shows before its second factor: the subject,
// how to verify and where a code goes, masked; no name, value or document.
type signingGate struct {
	Verified  bool                    `json:"verified"`
	Envelope  gateEnvelope            `json:"envelope"`
	Recipient gateRecipient           `json:"recipient"`
	Guard     verification.GuardState `json:"verification"`
	// Sender is the sending tenant's branding, so the person knows who
	// asks before they ask for a code.
	Sender *senderView `json:"sender,omitempty"`
}

type gateEnvelope struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Status  string `json:"status"`
	// WaitingFor names who must act before the recipient's turn comes:
	// the page says so before asking for a code that could not be used.
	WaitingFor []string `json:"waiting_for,omitempty"`
}

// waitingFor names the signers and approvers r waits for.
func waitingFor(env *models.Envelope, r *models.Recipient) []string {
	var names []string
	for _, i := range routing.WaitingFor(routing.Parties(env.Recipients), r.ID) {
		names = append(names, env.Recipients[i].Name)
	}
	return names
}

type gateRecipient struct {
	ID             string `json:"id"`
	Locale         string `json:"locale,omitempty"`
	Authentication string `json:"authentication"`
	Status         string `json:"status"`
	// CodeSentTo is the masked address an emailed code goes to.
	CodeSentTo string `json:"code_sent_to,omitempty"`
	// Embedded: the recipient signs inside the integrator's product, which
	// opens this page with a session of its own.
	Embedded bool `json:"embedded,omitempty"`
}

func (s *Server) gateView(c *gin.Context, r *models.Recipient, env *models.Envelope) {
	guard, err := s.Verifier.Guard(c.Request.Context(), r)
	if err != nil {
		s.unavailable(c, "reading the link's verification state", err)
		return
	}
	g := signingGate{
		Envelope: gateEnvelope{ID: env.ID, Subject: env.Subject, Status: env.Status, WaitingFor: waitingFor(env, r)},
		Recipient: gateRecipient{ID: r.ID, Locale: cmp.Or(r.Locale, env.Locale), Authentication: r.Authentication,
			Status: r.Status, Embedded: r.Embedded()},
		Guard: guard,
	}
	if methods := models.Methods(r.Authentication); slices.Contains(methods, models.AuthEmailOTP) || slices.Contains(methods, models.AuthSMSOTP) {
		g.Recipient.CodeSentTo = codeSentTo(r)
	}
	if g.Sender, err = s.sender(c, r); err != nil {
		s.unavailable(c, "loading the sender's branding", err)
		return
	}
	c.JSON(http.StatusOK, g)
}

// othersDrawing is another recipient's drawn signature, in a verified
// session, for the page to show it as it will print: only a field
// othersFilled lists.
func (s *Server) othersDrawing(c *gin.Context) {
	r, env, _ := s.verifiedSigner(c)
	if r == nil {
		return
	}
	i := slices.IndexFunc(env.Fields, func(f models.Field) bool {
		return f.ID == c.Param("field") && f.RecipientID != r.ID && f.ImageKey != "" &&
			(f.Type == models.FieldSignature || f.Type == models.FieldInitials)
	})
	if i < 0 {
		problem(c, http.StatusNotFound, "not-found", "No other recipient has drawn a signature in field "+c.Param("field")+".")
		return
	}
	data, err := s.Blobs.Get(c.Request.Context(), env.Fields[i].ImageKey)
	if err != nil {
		s.unavailable(c, "reading the drawn signature", err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Data(http.StatusOK, "image/png", data)
}

func (s *Server) signingDocument(c *gin.Context) {
	r, env, _ := s.verifiedSigner(c)
	if r == nil {
		return
	}
	s.sendDocument(c, env, c.Param("doc"), false, recipientEvent(c, r, models.EventDocumentDownloaded))
}

// defaultPageWidth is a page image's width when the page asks for none.
const defaultPageWidth = 1000

// signingPageImage is one page of a document as a PNG at the width the
// signing page asks for, in a verified session. Pages are drawn by the PDF
// engine from the original, which passed intake, and kept in a bounded
// cache by document, page and width.
func (s *Server) signingPageImage(c *gin.Context) {
	r, env, _ := s.verifiedSigner(c)
	if r == nil {
		return
	}
	if env.DocumentsDeletedAt != nil {
		problem(c, http.StatusGone, "documents-deleted", "The documents of this envelope have been deleted.")
		return
	}
	i := slices.IndexFunc(env.Documents, func(d models.Document) bool { return d.ID == c.Param("doc") })
	if i < 0 {
		problem(c, http.StatusNotFound, "not-found", "The envelope has no document with ID "+c.Param("doc")+".")
		return
	}
	doc := env.Documents[i]
	page, err := strconv.Atoi(c.Param("page"))
	if err != nil || page < 1 || page > doc.PageCount {
		problem(c, http.StatusNotFound, "not-found", fmt.Sprintf("The document has pages 1 to %d.", doc.PageCount))
		return
	}
	width := defaultPageWidth
	if v := c.Query("width"); v != "" {
		if width, err = strconv.Atoi(v); err != nil || !slices.Contains(pdf.PageWidths, width) {
			invalid(c, signing.FieldErrors{{Field: "width", Message: fmt.Sprintf("give one of the widths %v in pixels", pdf.PageWidths)}})
			return
		}
	}
	key := fmt.Sprintf("%s/%d/%d", doc.ID, page, width)
	image, ok := s.pageImages.Get(key)
	if !ok {
		// One engine serves the process: no tenant may queue every other
		// behind a flood of its own pages.
		if !s.renders.acquire(env.TenantID) {
			c.Header("Retry-After", "2")
			problem(c, http.StatusTooManyRequests, "engine-busy", "Many pages of this account are being drawn; retry in a few seconds.")
			return
		}
		defer s.renders.release(env.TenantID)
		data, err := s.recordedBlob(c, blob.OriginalKey(env.ID, doc.ID), doc.SHA256)
		if err != nil {
			s.blobFailed(c, "reading the document", err)
			return
		}
		if image, err = pdf.RenderPage(data, page, width); err != nil {
			s.unavailable(c, "drawing the page", err)
			return
		}
		s.pageImages.Add(key, image)
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Data(http.StatusOK, "image/png", image)
}

// rendersPerTenant is how many page images of one tenant a process may
// have drawing or queued for its one PDF engine at once; more are refused
// at once (the page retries), so a flood of one tenant's pages puts at most
// this many requests ahead of any other tenant's, and normal traffic
// queues for the engine as it always did.
const rendersPerTenant = 16

// tenantSlots counts each tenant's page images under way.
type tenantSlots struct {
	mu   sync.Mutex
	held map[string]int
}

// acquire takes one of tenant's slots; false when all are taken.
func (t *tenantSlots) acquire(tenant string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held == nil {
		t.held = map[string]int{}
	}
	if t.held[tenant] >= rendersPerTenant {
		return false
	}
	t.held[tenant]++
	return true
}

// release gives back a slot acquire gave, forgetting an idle tenant.
func (t *tenantSlots) release(tenant string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held[tenant]--; t.held[tenant] <= 0 {
		delete(t.held, tenant)
	}
}

// completedCopy serves a completed document to a recipient through the
// link in their completed-copy email.
func (s *Server) completedCopy(c *gin.Context) {
	rid, ok := s.Links.CopyRecipient(c.Param("token"))
	if !ok {
		problem(c, http.StatusNotFound, "invalid-link", "This download link is not valid. Ask the sender for the completed documents.")
		return
	}
	r, err := s.Store.GetRecipient(c.Request.Context(), rid)
	if errors.Is(err, models.ErrNotFound) {
		problem(c, http.StatusNotFound, "invalid-link", "This download link is not valid. Ask the sender for the completed documents.")
		return
	}
	if err != nil {
		s.unavailable(c, "checking the download link", err)
		return
	}
	env, err := s.Store.GetEnvelope(c.Request.Context(), r.TenantID, r.EnvelopeID)
	if err != nil {
		s.unavailable(c, "loading the envelope", err)
		return
	}
	if env.Status != models.EnvelopeCompleted || env.CompletedAt == nil {
		problem(c, http.StatusNotFound, "invalid-link", "This download link is not valid. Ask the sender for the completed documents.")
		return
	}
	if s.now().After(env.CompletedAt.Add(signinglink.CopyValidity)) {
		problem(c, http.StatusGone, "link-expired", "This download link has expired. Ask the sender for the completed documents.")
		return
	}
	s.sendDocument(c, env, c.Param("doc"), true, recipientEvent(c, r, models.EventDocumentDownloaded))
}

func (s *Server) markViewed(c *gin.Context) {
	r, env := s.signer(c)
	if r == nil {
		return
	}
	ctx, cancel := actionContext(c)
	defer cancel()
	err := s.Signers.Viewed(ctx, signers.Act{Envelope: env, Recipient: r, Origin: requestOrigin(c)})
	if err != nil {
		s.actionFailed(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "accepted"})
}

type actionResult struct {
	EnvelopeStatus  string `json:"envelope_status"`
	RecipientStatus string `json:"recipient_status"`
	Version         int64  `json:"version"`
	// Copies are the recipient's download links of the completed
	// documents once everyone has acted: the signing link is spent by
	// then. A link answers 404 until the final copy is written, seconds
	// later.
	Copies []copyLink `json:"copies,omitempty"`
}

type copyLink struct {
	DocumentID string `json:"document_id"`
	Name       string `json:"name"`
	URL        string `json:"url"`
}

func (s *Server) sign(c *gin.Context) {
	var body struct {
		Values []signing.ValueInput `json:"values"`
		// Locale is the language the page showed the signer.
		Locale string `json:"locale"`
	}
	if c.Request.ContentLength != 0 {
		if !readJSON(c, &body, "send JSON such as {\"values\": [{\"field_id\": \"...\", \"text\": \"Ada Lovelace\"}]}") {
			return
		}
	}
	var errs signing.FieldErrors
	if signing.CheckLocale(&errs, "locale", body.Locale); len(errs) > 0 {
		invalid(c, errs)
		return
	}
	act, ok := s.act(c)
	if !ok {
		return
	}
	act.Origin.Locale = body.Locale
	switch err := s.Verifier.ReadyToSign(c.Request.Context(), act.Recipient, act.Origin.VerifiedAt); {
	case errors.Is(err, verification.ErrIdentityUnconfirmed):
		problem(c, http.StatusConflict, "identity-unverified",
			"The sender asks that your identity be confirmed before you sign. Complete the identity check the sender sent you to, then sign.")
		return
	case errors.Is(err, verification.ErrReauthenticate):
		problem(c, http.StatusUnauthorized, "reauthenticate",
			"Confirm it is you again before you sign: start a new session with a new code (POST /session), then sign with it.")
		return
	case err != nil:
		s.unavailable(c, "reading the identity checks", err)
		return
	}
	ctx, cancel := actionContext(c)
	defer cancel()
	st, err := s.Signers.Sign(ctx, act, body.Values)
	s.answerAction(c, act, st, err)
}

// reassign hands the recipient's part to the person they name, when the
// sender allowed it; that person is invited with a link of their own.
func (s *Server) reassign(c *gin.Context) {
	var body signers.Handover
	if !readJSON(c, &body, `send JSON such as {"name": "Bo Berg", "email": "bo@example.com", "reason": "Bo signs for our team"}`) {
		return
	}
	// The request's own problems come before whether its link works.
	if errs := body.Check(); len(errs) > 0 {
		invalid(c, errs)
		return
	}
	act, ok := s.act(c)
	if !ok {
		return
	}
	ctx, cancel := actionContext(c)
	defer cancel()
	st, err := s.Signers.Reassign(ctx, act, body)
	s.answerAction(c, act, st, err)
}

func (s *Server) decline(c *gin.Context) {
	var body struct {
		Reason string `json:"reason"`
	}
	if !readJSON(c, &body, "send a JSON body such as {\"reason\": \"the amount is wrong\"}") {
		return
	}
	act, ok := s.act(c)
	if !ok {
		return
	}
	ctx, cancel := actionContext(c)
	defer cancel()
	st, err := s.Signers.Decline(ctx, act, body.Reason)
	s.answerAction(c, act, st, err)
}

// act is the verified recipient acting through the link in the path;
// false when it has answered (404, 410, 401) itself.
func (s *Server) act(c *gin.Context) (signers.Act, bool) {
	r, env, session := s.verifiedSigner(c)
	if r == nil {
		return signers.Act{}, false
	}
	return signers.Act{Envelope: env, Recipient: r, Origin: sessionOrigin(c, session)}, true
}

// actionContext bounds the wait for the workflow to take an action.
func actionContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), updateTimeout)
}

// answerAction answers a recipient's action with its result.
func (s *Server) answerAction(c *gin.Context, act signers.Act, st contract.State, err error) {
	if err != nil {
		s.actionFailed(c, err)
		return
	}
	// What was entered is now signed, or will never be.
	if err := s.Store.DeleteDraft(context.WithoutCancel(c.Request.Context()), act.Recipient.ID); err != nil {
		s.Log.Warn("the draft outlives its action; the spent link never shows it", "recipient_id", act.Recipient.ID, "error", err)
	}
	res := actionResult{EnvelopeStatus: st.Status, Version: st.Version}
	if r := st.Recipient(act.Recipient.ID); r != nil {
		res.RecipientStatus = r.Status
	}
	if signers.Completing(act.Envelope, st) {
		res.Copies = s.copyLinks(act.Recipient, act.Envelope)
	}
	c.JSON(http.StatusOK, res)
}

// actionFailed answers for an action the envelope's workflow did not take.
// A refusal by the workflow is a 409 that says why.
func (s *Server) actionFailed(c *gin.Context, err error) {
	var rejection *contract.Rejection
	var errs signing.FieldErrors
	switch {
	case errors.As(err, &errs):
		invalid(c, errs)
	case errors.As(err, &rejection):
		problem(c, http.StatusConflict, "action-rejected", rejection.Reason)
	case errors.Is(err, contract.ErrNotRunning):
		problem(c, http.StatusConflict, "envelope-closed", "The envelope is closed and accepts no more actions.")
	default:
		s.unavailable(c, "reaching the signing workflow", err)
	}
}
