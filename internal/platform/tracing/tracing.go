// Package tracing gives Signflow OpenTelemetry traces: one trace from an
// HTTP request through the workflow it starts or updates to the activities
// that workflow runs, exported over OTLP/HTTP when an endpoint is
// configured. Log lines written with a context carry its trace and span
// IDs, so an operator goes from a log line to its trace.
package tracing

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// Propagator reads and writes W3C trace context (traceparent) on HTTP.
var Propagator = propagation.TraceContext{}

// Exporter starts a provider that batches spans to the OTLP/HTTP collector
// the standard OTEL_EXPORTER_OTLP_* variables name (the exporter reads them
// itself, so it appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT as the
// specification says). Shut it down to flush.
func Exporter(ctx context.Context, service string) (*sdktrace.TracerProvider, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	res := resource.NewSchemaless(semconv.ServiceName(service))
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// Apply makes a Temporal client and its workers carry the trace: starting
// or updating a workflow continues the caller's span, and the workflow's
// and activities' spans follow it.
func Apply(opts *client.Options, tp trace.TracerProvider) error {
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer: tp.Tracer("signflow"),
		// Baggage would travel in Temporal headers, which are not encrypted.
		DisableBaggage:    true,
		TextMapPropagator: Propagator,
	})
	if err != nil {
		return fmt.Errorf("temporal tracing interceptor: %w", err)
	}
	opts.Interceptors = append(opts.Interceptors, i)
	return nil
}

// LogHandler adds trace_id and span_id to records logged with a context
// that has a span.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(as)}
}
func (l logHandler) WithGroup(name string) slog.Handler { return logHandler{l.Handler.WithGroup(name)} }
