package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/signing"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string               `json:"type"`
	Title    string               `json:"title"`
	Status   int                  `json:"status"`
	Detail   string               `json:"detail,omitempty"`
	Instance string               `json:"instance,omitempty"`
	Errors   []signing.FieldError `json:"errors,omitempty"`
	// ClosedLink says why a signing link no longer opens its envelope.
	ClosedLink *closedLink `json:"closed_link,omitempty"`
}

const problemContentType = "application/problem+json"

func problem(c *gin.Context, status int, slug, detail string) {
	writeProblem(c, Problem{Type: "urn:signflow:problem:" + slug, Title: http.StatusText(status), Status: status, Detail: detail})
}

func invalid(c *gin.Context, errs signing.FieldErrors) {
	writeProblem(c, Problem{
		Type:   "urn:signflow:problem:invalid-request",
		Title:  "The request has invalid fields",
		Status: http.StatusUnprocessableEntity,
		Detail: "Fix the fields listed in errors and send the request again.",
		Errors: errs,
	})
}

func writeProblem(c *gin.Context, p Problem) {
	p.Instance = c.Request.URL.Path
	if c.FullPath() == "" || hasToken(c) {
		// Never echo a signing token back into logs or caches.
		p.Instance = c.FullPath()
	}
	// gin keeps a Content-Type already set, so the JSON render below stays problem+json.
	c.Header("Content-Type", problemContentType)
	c.AbortWithStatusJSON(p.Status, p)
}

func hasToken(c *gin.Context) bool { return c.Param("token") != "" }
