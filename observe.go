package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/telemetry"
)

// startTelemetry starts what --metrics and the OTEL_EXPORTER_OTLP_*
// variables ask for: nil (every hook a nil check) when they ask for none.
// stop exports the spans not yet sent.
func startTelemetry(ctx context.Context, metricsAddr string, store state.Store, logger *slog.Logger) (tel *telemetry.Telemetry, stop func(), err error) {
	tel, err = telemetry.New(ctx, telemetry.Options{Metrics: metricsAddr != "", Version: version, Logger: logger, Secrets: secrets, Getenv: os.Getenv})
	if err != nil || tel == nil {
		return nil, func() {}, err
	}
	stop = func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			logger.Warn("OpenTelemetry: the last spans were not exported", "error", err.Error())
		}
	}
	if r, ok := store.(*state.Redis); ok && tel.Metrics() {
		r.OnError(tel.StateError)
	}
	if metricsAddr != "" {
		if _, err := tel.Listen(ctx, metricsAddr); err != nil {
			stop()
			return nil, nil, &exitError{exitUsage, err}
		}
	}
	return tel, stop, nil
}
