package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/workflows/contract"
)

type linkView struct {
	RecipientID    string `json:"recipient_id"`
	Status         string `json:"status"`
	LinkGeneration int    `json:"link_generation"`
	SigningURL     string `json:"signing_url"`
	SigningAPIURL  string `json:"signing_api_url"`
}

// envelopeRecipient loads the envelope and checks the recipient is on it,
// answering 404 itself otherwise.
func (s *Server) envelopeRecipient(c *gin.Context) (*models.Envelope, string) {
	env := s.loadEnvelope(c)
	if env == nil {
		return nil, ""
	}
	rid := c.Param("rid")
	if !slices.ContainsFunc(env.Recipients, func(r models.Recipient) bool { return r.ID == rid }) {
		problem(c, http.StatusNotFound, "not-found", "The envelope has no recipient with ID "+rid+".")
		return nil, ""
	}
	return env, rid
}

// answerLink returns the recipient's new link, for embedded signing.
func (s *Server) answerLink(c *gin.Context, st contract.State, err error, rid string) {
	if err != nil {
		s.actionFailed(c, err)
		return
	}
	if r := st.Recipient(rid); r != nil {
		token := s.Links.Token(rid, r.Generation)
		c.JSON(http.StatusOK, linkView{RecipientID: rid, Status: r.Status, LinkGeneration: r.Generation,
			SigningURL: s.PublicURL + signinglink.Path(token), SigningAPIURL: s.PublicURL + signinglink.APIPath(token)})
	}
}

func (s *Server) resendLink(c *gin.Context) {
	env, rid := s.envelopeRecipient(c)
	if env == nil {
		return
	}
	ctx, cancel := actionContext(c)
	defer cancel()
	st, err := s.Workflows.Resend(ctx, env.ID, contract.ResendRequest{RecipientID: rid, Origin: senderOrigin(c)})
	s.answerLink(c, st, err, rid)
}

func (s *Server) correctRecipient(c *gin.Context) {
	var body struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if !readJSON(c, &body, "send JSON such as {\"email\": \"ada@example.com\"}") {
		return
	}
	body.Name = strings.TrimSpace(body.Name)
	var errs signing.FieldErrors
	if body.Name == "" && body.Email == "" {
		errs.Add("email", "give a new email, a new name, or both")
	}
	if body.Email != "" && !signing.ValidEmail(body.Email) {
		errs.Add("email", "give a plain email address such as ada@example.com")
	}
	if len(body.Name) > 200 {
		errs.Add("name", "keep the name under 200 characters")
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	env, rid := s.envelopeRecipient(c)
	if env == nil {
		return
	}
	ctx, cancel := actionContext(c)
	defer cancel()
	req := contract.CorrectRequest{RecipientID: rid, Name: body.Name, Email: body.Email, Origin: senderOrigin(c)}
	st, err := s.Workflows.Correct(ctx, env.ID, req)
	s.answerLink(c, st, err, rid)
}
