package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signflow/signflow/internal/signing"
)

// formData is every field's value, for integrators to read what recipients
// entered without parsing the PDF.
func (s *Server) formData(c *gin.Context) {
	env := s.loadEnvelope(c)
	if env == nil {
		return
	}
	c.JSON(http.StatusOK, gin.H{"envelope_id": env.ID, "status": env.Status, "fields": signing.FormData(env)})
}
