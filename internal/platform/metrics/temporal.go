package metrics

import (
	"fmt"
	"log/slog"

	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// TemporalHandler is the Temporal SDK's metrics handler reporting into the
// registry (the SDK's own temporal_* metrics: requests, task latencies,
// slots, sticky cache), through OpenTelemetry's Prometheus exporter.
func (m *Metrics) TemporalHandler(log *slog.Logger) (client.MetricsHandler, error) {
	exporter, err := otelprom.New(otelprom.WithRegisterer(m.Registry), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("temporal metrics exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: provider.Meter("temporal-sdk-go"),
		// A metric that cannot be recorded is logged, never a panic.
		OnError: func(err error) { log.Warn("temporal metric not recorded", "error", err) },
	}), nil
}
