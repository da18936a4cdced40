package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.yaml.in/yaml/v3"
)

// OpenAPI is the HTTP API's contract, OpenAPI 3.1. The integration tests
// validate every request and response against it, and fail when a route
// is missing from it, so it cannot drift from the handlers.
//
//go:embed openapi.yaml
var OpenAPI []byte

// openAPIJSON is the contract as JSON, converted once.
var openAPIJSON = func() []byte {
	var doc any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		panic(fmt.Sprintf("api/openapi.yaml is not YAML: %v", err))
	}
	data, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("api/openapi.yaml has no JSON form: %v", err))
	}
	return data
}()

func serveOpenAPI(r *gin.Engine) {
	r.GET("/openapi.json", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "application/json", openAPIJSON)
	})
	r.GET("/openapi.yaml", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "application/yaml", OpenAPI)
	})
}
