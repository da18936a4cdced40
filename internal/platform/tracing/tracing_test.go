package tracing_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/signflow/signflow/internal/platform/tracing"
)

func TestLogLinesCarryTheirTrace(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewTextHandler(&out, nil))).With("component", "api")
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	log.InfoContext(ctx, "inside")
	span.End()
	require.Contains(t, out.String(), "trace_id="+span.SpanContext().TraceID().String())
	require.Contains(t, out.String(), "span_id="+span.SpanContext().SpanID().String())
	require.Contains(t, out.String(), "component=api")

	out.Reset()
	log.Info("outside any trace")
	require.NotContains(t, out.String(), "trace_id")
}
