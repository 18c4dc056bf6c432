package main

import (
	"context"
	"fmt"

	"github.com/pdp-project/pdp/internal/telemetry/dashboards"
)

// runDashboard prints the Grafana dashboard JSON: pdp dashboard > pdp.json.
func runDashboard(_ context.Context, e env, args []string) error {
	if err := parseNoArgs(newFlagSet("dashboard", e), args); err != nil {
		return err
	}
	_, err := e.stdout.Write(dashboards.Grafana())
	if err != nil {
		return fmt.Errorf("write dashboard: %w", err)
	}
	return nil
}

// runAlerts prints the Prometheus alerting rules: pdp alerts > pdp-alerts.yaml.
func runAlerts(_ context.Context, e env, args []string) error {
	if err := parseNoArgs(newFlagSet("alerts", e), args); err != nil {
		return err
	}
	_, err := e.stdout.Write(dashboards.Alerts())
	if err != nil {
		return fmt.Errorf("write alerts: %w", err)
	}
	return nil
}
