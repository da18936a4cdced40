package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceRequests starts a server span per request, continuing a caller's W3C
// trace context; the workflow calls the handler makes carry it on. It
// records the route template, method and status only: otelgin would also
// record the URL path, which holds signing tokens on recipient routes, and
// the client's address, which is personal data.
func (s *Server) traceRequests(c *gin.Context) {
	ctx := s.TracePropagator.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	ctx, span := s.Tracer.Start(ctx, c.Request.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", c.Request.Method), attribute.String("http.route", route)))
	defer span.End()
	saved := c.Request
	c.Request = c.Request.WithContext(ctx)
	defer func() { c.Request = saved }()
	c.Next()
	status := c.Writer.Status()
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= http.StatusInternalServerError {
		span.SetStatus(codes.Error, strconv.Itoa(status))
	}
}
