package api

import (
	_ "embed"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/documents/typeset"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/locale"
)

// The signing page is a static client of the recipient API: everything it
// shows and does goes through /v1/signing/{token}, so a person in a browser
// and an integrator's own interface follow the same rules.
//
//go:embed signpage/page.html
var signPageTemplate string

//go:embed signpage/sign.js
var signPageScript []byte

//go:embed signpage/rules.js
var signPageRules []byte

// signaturePadScript is signature_pad, which draws a signature's strokes
// smoothed by the hand's speed: make copies it from the npm package that
// signpage/package-lock.json pins, with its integrity hash.
//
//go:embed signpage/vendor/signature_pad.js
var signaturePadScript []byte

// signAssets are the page's script, rules, font and messages, versioned
// and compressed once; the page (html) names them by version, so a repeat
// visit loads nothing but the page and what the API answers.
var signAssets = newSigningAssets()

type signingAssets struct {
	script, rules, pad, font, index *staticAsset
	locales                         map[string]*staticAsset
	// localesVersion changes whenever any language's messages do.
	localesVersion string
	html           []byte
}

func newSigningAssets() *signingAssets {
	a := &signingAssets{
		script:  newStaticAsset("text/javascript; charset=utf-8", signPageScript),
		rules:   newStaticAsset("text/javascript; charset=utf-8", signPageRules),
		pad:     newStaticAsset("text/javascript; charset=utf-8", signaturePadScript),
		font:    newStaticAsset("font/ttf", typeset.HandwritingFont()),
		locales: map[string]*staticAsset{},
	}
	var all []byte
	for _, tag := range locale.Supported() {
		data, _ := locale.Messages(tag)
		a.locales[tag] = newStaticAsset("application/json; charset=utf-8", data)
		all = append(all, data...)
	}
	index := `{"languages":["` + strings.Join(locale.Supported(), `","`) + `"]}`
	a.index = newStaticAsset("application/json; charset=utf-8", []byte(index))
	a.localesVersion = newStaticAsset("", append(all, index...)).version
	a.html = []byte(strings.NewReplacer(
		`"../assets/sign.js"`, `"`+a.script.url("../assets/sign.js")+`"`,
		`"../assets/rules.js"`, `"`+a.rules.url("../assets/rules.js")+`"`,
		`"../assets/signature_pad.js"`, `"`+a.pad.url("../assets/signature_pad.js")+`"`,
		`"../assets/handwriting.ttf"`, `"`+a.font.url("../assets/handwriting.ttf")+`"`,
		`<meta name="signflow-locales" content="">`, `<meta name="signflow-locales" content="`+a.localesVersion+`">`,
	).Replace(signPageTemplate))
	return a
}

// signPageHeaders keep the token in the page's URL from leaking: no
// Referer leaves the page, nothing caches it, nothing frames it, and only
// its own script runs.
func signPageHeaders(c *gin.Context) {
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	frameAncestors(c, "'none'")
}

// frameAncestors sets who may frame the page: 'none', or an embedded
// recipient's tenant's origins.
func frameAncestors(c *gin.Context, sources string) {
	if sources == "" {
		sources = "'none'"
	}
	c.Header("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; "+
		"style-src 'unsafe-inline'; img-src 'self' blob: data:; font-src 'self'; frame-src blob:; frame-ancestors "+sources+
		"; form-action 'none'; base-uri 'none'")
}

// signingPage is the page; an embedded recipient's may be framed by their
// tenant's origins, anyone else's by no one.
func (s *Server) signingPage(c *gin.Context) {
	signPageHeaders(c)
	ctx := c.Request.Context()
	if r, err := s.Store.RecipientByTokenHash(ctx, signinglink.Hash(c.Param("token"))); err == nil {
		if sources, err := s.Embedding.FrameAncestors(ctx, r); err == nil {
			frameAncestors(c, sources)
		}
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", signAssets.html)
}

func (s *Server) signingScript(c *gin.Context) { serveVersioned(c, signAssets.script) }

// signingRules is the page's smart-field evaluator; the server's own is
// internal/signing.
func (s *Server) signingRules(c *gin.Context) { serveVersioned(c, signAssets.rules) }

func (s *Server) signaturePad(c *gin.Context) { serveVersioned(c, signAssets.pad) }

// signingMessages is one language's messages for the page, the same file
// the emails are written from; index.json lists the languages.
func (s *Server) signingMessages(c *gin.Context) {
	tag, ok := strings.CutSuffix(c.Param("file"), ".json")
	asset, known := signAssets.locales[tag]
	if tag == "index" {
		asset, known = signAssets.index, true
	}
	if !ok || !known {
		problem(c, http.StatusNotFound, "not-found", "Signflow speaks "+strings.Join(locale.Supported(), ", ")+".")
		return
	}
	// The page names the version of all languages at once.
	asset.serve(c, c.Query("v") == signAssets.localesVersion)
}

// handwritingFont lets the page show a typed signature in the font the
// final document stamps it in.
func (s *Server) handwritingFont(c *gin.Context) { serveVersioned(c, signAssets.font) }

// serveVersioned serves an asset the page names by its own version.
func serveVersioned(c *gin.Context, a *staticAsset) { a.serve(c, c.Query("v") == a.version) }
