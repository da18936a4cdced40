package tests

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/signflow/signflow/api/client"
	"github.com/signflow/signflow/models"
	"github.com/stretchr/testify/require"
)

// embedded is a signer of the integrator's own, who signs in its product.
func embedded(email string) J {
	return J{"name": strings.SplitN(email, "-", 2)[0], "email": email, "role": "signer", "client_user_id": "user-" + email, "authentication": "none"}
}

// openTicket opens an embedded session's URL as a browser would, without
// following the redirect.
func openTicket(t *testing.T, u string) (int, http.Header) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestEmbeddedSessionsOpenOnceForAllowedOrigins: an embedded recipient is
// sent no email and their bare link does not sign; the integrator's backend
// mints a session URL that opens once, within minutes, with its word
// recorded in the audit trail and on the certificate; only the tenant's
// origins may frame the page or be returned to; in-person signing works
// for any recipient and names the host.
func TestEmbeddedSessionsOpenOnceForAllowedOrigins(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL).call
	status, problem := api(http.MethodPut, "/v1/embedding", J{"frame_origins": []string{"https://app.example.com", "ftp://x", "https://a.example.com/path"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []any{"frame_origins[1]", "frame_origins[2]"}, []any{str(problem, "errors", 0, "field"), str(problem, "errors", 1, "field")})
	status, set := api(http.MethodPut, "/v1/embedding", J{"frame_origins": []string{"https://App.Example.com", "http://localhost:3000"}})
	require.Equal(t, http.StatusOK, status, "%v", set)
	require.Equal(t, []any{"https://app.example.com", "http://localhost:3000"}, set["frame_origins"])

	ada := unique("ada")
	status, created := api(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, []J{embedded(ada), signer("walkin", 2)},
		[]J{fieldAt(0, "signature", 1, aliceSig), fieldAt(1, "signature", 1, bobSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, adaID, walkinID := str(created, "id"), str(created, "recipients", 0, "id"), str(created, "recipients", 1, "id")
	require.Equal(t, "user-"+ada, str(created, "recipients", 0, "client_user_id"))
	link := str(created, "recipients", 0, "signing_api_url")

	// The bare link shows only that the integrator's application opens it.
	status, gate := getJSON(t, link)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, false, gate["verified"])
	require.Equal(t, true, at(gate, "recipient", "embedded"))
	status, _ = postJSON(t, link+"/sign", J{"values": []J{{"field_id": str(created, "fields", 0, "id"), "text": "Ada"}}})
	require.Equal(t, http.StatusUnauthorized, status, "an embedded recipient's link alone does not sign")
	page := strings.Replace(link, "/v1/signing/", "/sign/", 1)
	resp, err := http.Get(page)
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors https://app.example.com http://localhost:3000;")

	path := "/v1/envelopes/" + id + "/recipients/" + adaID + "/embedded-session"
	for _, bad := range []struct {
		body  J
		field string
	}{
		{J{}, "authenticated_by"},
		{J{"authenticated_by": "sso", "frame_origin": "https://evil.example.com"}, "frame_origin"},
		{J{"authenticated_by": "sso", "return_url": "https://evil.example.com/done"}, "return_url"},
	} {
		status, problem := api(http.MethodPost, path, bad.body)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
		require.Equal(t, bad.field, str(problem, "errors", 0, "field"))
	}
	status, problem = api(http.MethodPost, "/v1/envelopes/"+id+"/recipients/"+walkinID+"/embedded-session", J{"authenticated_by": "sso"})
	require.Equal(t, http.StatusConflict, status, "a recipient who gets email is not embedded: %v", problem)

	status, session := api(http.MethodPost, path, J{"authenticated_by": "password+totp", "frame_origin": "https://app.example.com",
		"return_url": "https://app.example.com/contracts/7"})
	require.Equal(t, http.StatusCreated, status, "%v", session)
	expires, err := time.Parse(time.RFC3339, str(session, "expires_at"))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(5*time.Minute), expires, time.Minute)

	status, header := openTicket(t, str(session, "url"))
	require.Equal(t, http.StatusSeeOther, status)
	target, err := url.Parse(header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/sign/"+link[strings.LastIndex(link, "/")+1:], target.Path)
	fragment, err := url.ParseQuery(target.Fragment)
	require.NoError(t, err)
	require.Equal(t, "https://app.example.com", fragment.Get("host"))
	require.Equal(t, "https://app.example.com/contracts/7", fragment.Get("return"))
	require.NotEmpty(t, fragment.Get("session"))
	status, _ = openTicket(t, str(session, "url"))
	require.Equal(t, http.StatusGone, status, "a session URL opens once")
	status, _ = openTicket(t, suite.apiURL+"/embed/made-up")
	require.Equal(t, http.StatusNotFound, status)

	status, view := sendWith(t, http.MethodGet, link, "", nil, map[string]string{"Authorization": "Bearer " + fragment.Get("session")})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, view["verified"])
	status, signed := sendWith(t, http.MethodPost, link+"/sign", "application/json",
		jsonBody(t, J{"values": []J{{"field_id": str(created, "fields", 0, "id"), "text": "Ada"}}}),
		map[string]string{"Authorization": "Bearer " + fragment.Get("session")})
	require.Equal(t, http.StatusOK, status, "%v", signed)

	// The walk-in signs in person, before the agent, on the agent's tablet.
	status, inPerson := api(http.MethodPost, "/v1/envelopes/"+id+"/recipients/"+walkinID+"/embedded-session",
		J{"authenticated_by": "photo id checked at the desk", "in_person_host": "Agent Smith <smith@bank.example>"})
	require.Equal(t, http.StatusCreated, status, "%v", inPerson)
	status, header = openTicket(t, str(inPerson, "url"))
	require.Equal(t, http.StatusSeeOther, status)
	require.Contains(t, header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	target, err = url.Parse(header.Get("Location"))
	require.NoError(t, err)
	fragment, err = url.ParseQuery(target.Fragment)
	require.NoError(t, err)
	require.Empty(t, fragment.Get("session"), "the walk-in still proves their own factor, on top")

	status, audit := api(http.MethodGet, "/v1/envelopes/"+id+"/audit", nil)
	require.Equal(t, http.StatusOK, status)
	var asserted []J
	for _, e := range at(audit, "events").([]any) {
		if str(e, "type") == "identity.asserted" {
			asserted = append(asserted, e.(J))
		}
	}
	require.Len(t, asserted, 2)
	require.Equal(t, "password+totp", str(asserted[0], "details", "asserted_by"))
	require.Equal(t, adaID, str(asserted[0], "recipient_id"))
	require.Equal(t, "Agent Smith <smith@bank.example>", str(asserted[1], "details", "in_person_host"))
	for _, e := range at(audit, "events").([]any) {
		if str(e, "type") == "recipient.notified" && str(e, "recipient_id") == adaID {
			require.Equal(t, "embedded", str(e, "details", "channel"), "Ada's turn is told by the event alone")
		}
	}
	require.Empty(t, searchMail(t, suite.mailAPI, "to:"+ada), "an embedded recipient is sent no email")
}

// TestAHostPageFramesTheSigningPage: the integrator's page, on an origin
// of its own, includes the embed script and a <signflow-signing> element;
// the person signs inside it, and the page hears loaded, field-changed and
// signed, in order, and the envelope completes. A page on an origin the
// tenant did not allow cannot frame the session: the browser refuses, and
// the element says so.
func TestAHostPageFramesTheSigningPage(t *testing.T) {
	t.Parallel()
	requireTool(t, "chromium")
	base := proxiedAPI(t)
	// hostPage is the integrator's page around a session; a host serves
	// the page its variable holds (its origin is only known once it
	// listens).
	hostPage := func(sessionURL, timeout string) string {
		return fmt.Sprintf(`<!doctype html><html lang="en"><title>Contracts</title>
<script src="%s/assets/embed/v1/signflow.js"></script>
<signflow-signing url="%s" timeout="%s" label="Sign the contract"></signflow-signing>
<script>
  window.heard = [];
  const el = document.querySelector("signflow-signing");
  for (const type of ["loaded", "field-changed", "signed", "declined", "session-expired", "error"])
    el.addEventListener("signflow:" + type, () => window.heard.push(type));
</script></html>`, base, sessionURL, timeout)
	}
	host := func(page *string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(*page))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	api := newTenantAPI(t, base).call
	var allowedPage, strangerPage string
	allowed, stranger := host(&allowedPage), host(&strangerPage)
	status, _ := api(http.MethodPut, "/v1/embedding", J{"frame_origins": []string{allowed.URL}})
	require.Equal(t, http.StatusOK, status)

	grace := unique("grace")
	status, created := api(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, []J{embedded(grace)}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id, rid := str(created, "id"), str(created, "recipients", 0, "id")
	mint := func(origin string) string {
		status, s := api(http.MethodPost, "/v1/envelopes/"+id+"/recipients/"+rid+"/embedded-session",
			J{"authenticated_by": "password", "frame_origin": origin})
		require.Equal(t, http.StatusCreated, status, "%v", s)
		return str(s, "url")
	}

	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, forwardedFor("198.51.100.212")))
	heard := func(want string) []string {
		got, err := chromedp.Run(ctx, chromedp.Poll[[]string](
			fmt.Sprintf(`window.heard && window.heard.includes(%q) ? window.heard : null`, want), chromedp.WithPollingTimeout(time.Minute)))
		require.NoError(t, err, "the host page never heard %s", want)
		return got
	}
	allowedPage = hostPage(mint(allowed.URL), "15000")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(allowed.URL)))
	heard("loaded")
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.JSPath(`document.querySelector("signflow-signing").shadowRoot.querySelector("iframe")`)))
	require.NoError(t, err)
	in := chromedp.FromNode(frames[0])
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`button[data-type="signature"]`), in),
		chromedp.Click(chromedp.CSS(`button[data-type="signature"]`), in),
		chromedp.WaitVisible(chromedp.CSS("#type-name"), in),
		chromedp.Click(chromedp.CSS("#adopt-use"), in),
		chromedp.WaitVisible(chromedp.CSS(`button[data-type="signature"][data-adopted="true"]`), in),
		chromedp.Click(chromedp.CSS("#sign"), in),
	))
	got := heard("signed")
	require.Equal(t, []string{"loaded", "field-changed", "signed"}, slices.Compact(got), "the host hears what happens, in order")
	require.Equal(t, "completed", awaitWorkflow(t, id).Status)

	// Another origin, which the tenant did not allow, cannot frame it.
	status, second := api(http.MethodPost, "/v1/envelopes", jsonEnvelope(t, []J{embedded(unique("heidi"))}, []J{fieldAt(0, "signature", 1, aliceSig)}))
	require.Equal(t, http.StatusCreated, status, "%v", second)
	id, rid = str(second, "id"), str(second, "recipients", 0, "id")
	strangerPage = hostPage(mint(allowed.URL), "3000")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(stranger.URL)))
	require.Equal(t, []string{"error"}, heard("error"), "a page the tenant did not allow never loads the session")
}

// TestTheGoClientEmbedsAndLinks: the Go client sets the embedding origins,
// mints an embedded session, runs a template's self-serve link and mints
// its field editor's session.
func TestTheGoClientEmbedsAndLinks(t *testing.T) {
	t.Parallel()
	tenant := "go-client-" + newTestID()
	c, secret := newClient(t, tenant, models.Scopes...)
	api := client.New(t.Context(), client.Config{BaseURL: suite.apiURL, ClientID: c.ID, ClientSecret: secret})
	require.NoError(t, api.SetEmbeddingOrigins(t.Context(), []string{"https://app.example.com"}))
	env, err := api.CreateEnvelope(t.Context(), jsonEnvelope(t, []J{embedded(unique("gus"))}, []J{fieldAt(0, "signature", 1, aliceSig)}), "")
	require.NoError(t, err)
	var created J
	require.NoError(t, json.Unmarshal(env.Raw, &created))
	session, err := api.EmbeddedSession(t.Context(), env.ID, str(created, "recipients", 0, "id"),
		client.EmbeddedSessionRequest{AuthenticatedBy: "sso", FrameOrigin: "https://app.example.com"})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(session.URL, suite.apiURL+"/embed/"))
	_, err = api.EmbeddedSession(t.Context(), env.ID, str(created, "recipients", 0, "id"),
		client.EmbeddedSessionRequest{AuthenticatedBy: "sso", FrameOrigin: "https://evil.example.com"})
	var apiErr *client.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnprocessableEntity, apiErr.Status)

	body, err := io.ReadAll(jsonBody(t, waiverTemplate(t)))
	require.NoError(t, err)
	resp, err := api.Do(t.Context(), http.MethodPost, "/v1/templates", "application/json", body, "")
	require.NoError(t, err)
	var tmpl J
	require.NoError(t, resp.Decode(&tmpl))
	link, err := api.SetPublicLink(t.Context(), str(tmpl, "id"), true, 1, nil)
	require.NoError(t, err)
	require.True(t, link.Enabled)
	rotated, err := api.RotatePublicLink(t.Context(), str(tmpl, "id"))
	require.NoError(t, err)
	require.NotEqual(t, link.URL, rotated.URL)
	editor, err := api.EditorSession(t.Context(), str(tmpl, "id"), "https://app.example.com")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(editor.URL, suite.apiURL+"/edit/"))
}

// TestTheFieldEditorPlacesFieldsThatThenSend: the integrator's page frames
// the field editor of a template on an editor session its backend minted
// (never its own credentials); a person places a text field and a number
// field by pointing and a checkbox from the keyboard alone, moves it with
// the arrows and saves; the template's new version has the fields, and an
// envelope sent from it carries them. The editor has no accessibility
// violations.
func TestTheFieldEditorPlacesFieldsThatThenSend(t *testing.T) {
	t.Parallel()
	requireTool(t, "chromium")
	base := proxiedAPI(t)
	api := newTenantAPI(t, base).call
	var page string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(host.Close)
	status, _ := api(http.MethodPut, "/v1/embedding", J{"frame_origins": []string{host.URL}})
	require.Equal(t, http.StatusOK, status)
	status, tmpl := api(http.MethodPost, "/v1/templates", waiverTemplate(t))
	require.Equal(t, http.StatusCreated, status, "%v", tmpl)
	id := str(tmpl, "id")
	status, problem := api(http.MethodPost, "/v1/templates/"+id+"/editor-session", J{"frame_origin": "https://evil.example.com"})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", problem)
	status, session := api(http.MethodPost, "/v1/templates/"+id+"/editor-session", J{"frame_origin": host.URL})
	require.Equal(t, http.StatusCreated, status, "%v", session)
	status, _ = sendWith(t, http.MethodGet, base+"/v1/editor", "", nil, map[string]string{"Authorization": "Bearer made-up"})
	require.Equal(t, http.StatusUnauthorized, status)

	ctx := browser(t)
	// A desktop's screen, tall enough for a whole page at once, at an
	// address of its own.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1000, 2400), forwardedFor("198.51.100.211")))
	// The editor alone, checked for accessibility.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(str(session, "url")), chromedp.WaitVisible(chromedp.CSS(`.page img[src^="blob:"]`))))
	require.Empty(t, axe(t, ctx), "the field editor has no accessibility violations")

	page = fmt.Sprintf(`<!doctype html><html lang="en"><title>Templates</title>
<script src="%s/assets/embed/v1/signflow.js"></script>
<signflow-field-editor url="%s" label="Place the fields"></signflow-field-editor>
<script>
  window.heard = [];
  const el = document.querySelector("signflow-field-editor");
  for (const type of ["loaded", "field-added", "saved", "error"]) el.addEventListener("signflow:" + type, () => window.heard.push(type));
</script></html>`, base, str(session, "url"))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(host.URL)))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.heard && window.heard.includes("loaded")`, chromedp.WithPollingTimeout(time.Minute)))
	require.NoError(t, err)
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.JSPath(`document.querySelector("signflow-field-editor").shadowRoot.querySelector("iframe")`)))
	require.NoError(t, err)
	in := chromedp.FromNode(frames[0])
	typeIndex := func(name string) string {
		return fmt.Sprint(slices.Index([]string{"signature", "initials", "date_signed", "text", "checkbox", "number"}, name))
	}
	steps := []struct {
		name string
		step chromedp.Action[chromedp.Void]
	}{
		{"page drawn", chromedp.WaitVisible(chromedp.CSS(`.page[data-page="1"] img[src^="blob:"]`), in)},
		// By pointing: a text field where the page is pressed, moved down
		// from the keyboard, then a number field where the page is pressed.
		{"text chosen", chromedp.SetValue(chromedp.CSS("#new-type"), typeIndex("text"), in)},
		{"page pressed", chromedp.Click(chromedp.CSS(`.page[data-page="1"]`), in)},
		{"text placed", chromedp.WaitVisible(chromedp.CSS(`.field[data-index="1"]`), in)},
		{"text moved", chromedp.Steps(chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierShift)),
			chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierShift)))},
		{"number chosen", chromedp.SetValue(chromedp.CSS("#new-type"), typeIndex("number"), in)},
		{"page pressed again", chromedp.Click(chromedp.CSS(`.page[data-page="1"]`), in)},
		{"number placed", chromedp.WaitVisible(chromedp.CSS(`.field[data-index="2"]`), in)},
		// From the keyboard alone: a checkbox added, then moved right.
		{"checkbox chosen", chromedp.SetValue(chromedp.CSS("#new-type"), typeIndex("checkbox"), in)},
		{"add focused", chromedp.Focus(chromedp.CSS("#add"), in)},
		{"enter", chromedp.KeyEvent("\r")},
		{"checkbox placed", chromedp.WaitVisible(chromedp.CSS(`.field[data-index="3"]`), in)},
		{"arrows", chromedp.Steps(chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))},
		{"saved", chromedp.Click(chromedp.CSS("#save"), in)},
	}
	for _, s := range steps {
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Do(stepCtx, s.step)
		cancel()
		require.NoError(t, err, "step %q", s.name)
	}
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`window.heard.includes("saved")`, chromedp.WithPollingTimeout(time.Minute)))
	require.NoError(t, err, "the host hears the save")

	status, saved := api(http.MethodGet, "/v1/templates/"+id, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, float64(2), saved["version"])
	fields := at(saved, "fields").([]any)
	require.Len(t, fields, 4)
	require.Equal(t, []any{"signature", "text", "number", "checkbox"}, []any{str(fields[0], "type"), str(fields[1], "type"), str(fields[2], "type"), str(fields[3], "type")})
	require.InDelta(t, 0.35, at(fields[1], "x"), 0.02, "the text field is where the page was pressed")
	require.InDelta(t, 0.485+0.1, at(fields[1], "y"), 0.02, "then moved down from the keyboard")
	require.InDelta(t, 0.485, at(fields[2], "y"), 0.02, "the number field is where the page was pressed")
	require.InDelta(t, 0.485+0.015, at(fields[3], "x"), 0.0001, "three arrow steps of 0.005 moved the checkbox right")

	status, env := api(http.MethodPost, "/v1/envelopes", J{"template_id": id, "roles": []J{{"role": "Climber", "name": "Cleo", "email": unique("cleo")}}})
	require.Equal(t, http.StatusCreated, status, "%v", env)
	require.Len(t, at(env, "fields"), 4, "an envelope sent from the template carries the placed fields")
}

// TestTheFieldEditorFindsTheDocumentsOwnFields: a template made from a PDF
// with a form of its own opens in the editor with the form's fields found,
// for the person to adjust; once saved, they are no longer "found".
func TestTheFieldEditorFindsTheDocumentsOwnFields(t *testing.T) {
	t.Parallel()
	api := newTenantAPI(t, suite.apiURL).call
	form, err := os.ReadFile(filepath.Join("testdata", "samples", "libreoffice-form.pdf"))
	require.NoError(t, err)
	tmpl := waiverTemplate(t)
	tmpl["documents"] = []J{{"name": "form.pdf", "content_base64": base64.StdEncoding.EncodeToString(form)}}
	status, created := api(http.MethodPost, "/v1/templates", tmpl)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	status, session := api(http.MethodPost, "/v1/templates/"+str(created, "id")+"/editor-session", nil)
	require.Equal(t, http.StatusCreated, status, "%v", session)
	u := str(session, "url")
	auth := map[string]string{"Authorization": "Bearer " + u[strings.LastIndex(u, "/")+1:]}
	status, draft := sendWith(t, http.MethodGet, suite.apiURL+"/v1/editor", "", nil, auth)
	require.Equal(t, http.StatusOK, status, "%v", draft)
	found := at(draft, "found").([]any)
	require.NotEmpty(t, found, "the PDF's own form fields are found")
	require.NotEmpty(t, str(found[0], "name"))

	fields := append(at(draft, "fields").([]any), found...)
	status, saved := sendWith(t, http.MethodPut, suite.apiURL+"/v1/editor/fields", "application/json",
		jsonBody(t, J{"version": at(draft, "version"), "fields": fields}), auth)
	require.Equal(t, http.StatusOK, status, "%v", saved)
	_, again := sendWith(t, http.MethodGet, suite.apiURL+"/v1/editor", "", nil, auth)
	require.Empty(t, at(again, "found"), "saved, they are the template's own")
	require.Len(t, at(again, "fields"), len(fields))
	status, stale := sendWith(t, http.MethodPut, suite.apiURL+"/v1/editor/fields", "application/json",
		jsonBody(t, J{"version": at(draft, "version"), "fields": fields}), auth)
	require.Equal(t, http.StatusConflict, status, "a save on an old version is refused: %v", stale)
}
