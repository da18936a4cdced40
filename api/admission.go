package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// admit answers 503 with Retry-After when the admission gate refuses a
// new envelope of the caller's tenant (the workers are behind and the
// tenant has had its share). Signing routes never pass this gate.
func (s *Server) admit(c *gin.Context) {
	v := s.Admission.Admit(c.Request.Context(), tenantID(c))
	if v.Admit {
		c.Next()
		return
	}
	c.Header("Retry-After", strconv.Itoa(int(v.RetryAfter/time.Second)))
	problem(c, http.StatusServiceUnavailable, "overloaded",
		fmt.Sprintf("Signflow is %s behind the work already accepted; new envelopes of this tenant are refused until it catches up. Retry after the Retry-After seconds.", v.Behind.Round(time.Second)))
}
