package slackhttp

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"contactbot/outbox"
)

// Metrics counts and times the HTTP routes. It owns its registry (made once
// in main), so tests can build as many handlers as they like.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics returns metrics with Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactbot_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "contactbot_http_request_duration_seconds", Help: "Time to answer, by route. Slack gives up after 3 s.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5},
		}, []string{"route"}),
	}
	m.registry.MustRegister(m.requests, m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// wrap counts and times next under route.
func (m *Metrics) wrap(route string, next http.HandlerFunc) http.HandlerFunc {
	if m == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next(sw, r)
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
	}
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// OutboxStatser reads the state of the outbox (crm.Store).
type OutboxStatser interface {
	OutboxStats(ctx context.Context) (outbox.Stats, error)
}

// WatchOutbox adds the outbox's gauges, read from the database at each
// scrape: contactbot_outbox_depth, contactbot_outbox_oldest_age_seconds,
// contactbot_outbox_retrying and contactbot_outbox_given_up.
func (m *Metrics) WatchOutbox(s OutboxStatser) {
	m.registry.MustRegister(&outboxCollector{stats: s,
		depth:    prometheus.NewDesc("contactbot_outbox_depth", "Messages for Slack written and not yet delivered (all replicas).", nil, nil),
		oldest:   prometheus.NewDesc("contactbot_outbox_oldest_age_seconds", "Age of the oldest undelivered message for Slack; 0 when none.", nil, nil),
		retrying: prometheus.NewDesc("contactbot_outbox_retrying", "Undelivered messages that Slack refused at least once.", nil, nil),
		gaveUp:   prometheus.NewDesc("contactbot_outbox_given_up", "Messages given up on (Slack refused them for good), kept a week.", nil, nil),
	})
}

type outboxCollector struct {
	stats                           OutboxStatser
	depth, oldest, retrying, gaveUp *prometheus.Desc
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.oldest
	ch <- c.retrying
	ch <- c.gaveUp
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.stats.OutboxStats(ctx)
	if err != nil {
		// The database is down: /readyz says so; the other metrics still serve.
		slog.Warn("metrics: outbox stats", "err", err)
		return
	}
	age := 0.0
	if !st.Oldest.IsZero() {
		age = max(time.Since(st.Oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(c.retrying, prometheus.GaugeValue, float64(st.Retrying))
	ch <- prometheus.MustNewConstMetric(c.gaveUp, prometheus.GaugeValue, float64(st.GaveUp))
}
