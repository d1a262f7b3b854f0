package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// The deploy files live at the repository root, two levels up from this package.
const repoRoot = "../.."

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Profiles    []string          `yaml:"profiles"`
		Environment map[string]string `yaml:"environment"`
		EnvFile     string            `yaml:"env_file"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
		Networks    yaml.Node         `yaml:"networks"`
	} `yaml:"services"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet  string `yaml:"subnet"`
				IPRange string `yaml:"ip_range"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) (composeFile, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c, string(raw)
}

// envExample parses .env.example into its variables.
func envExample(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example: not NAME=value: %q", line)
		}
		out[k] = v
	}
	return out
}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::-([^}]*))?\}`)

// interpolate does what docker compose does with ${NAME} and ${NAME:-default}, from vars.
func interpolate(s string, vars map[string]string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		sub := interpolation.FindStringSubmatch(m)
		if v := vars[sub[1]]; v != "" {
			return v
		}
		return sub[2]
	})
}

// TestComposeFile checks docker-compose.yml as an operator meets it (no Docker engine runs here,
// so the file is checked by parsing): the services and profiles, the 6-hourly backup, one
// health contract, files it mounts exist, and every variable it reads is documented.
func TestComposeFile(t *testing.T) {
	c, raw := readCompose(t)
	for name, profiles := range map[string][]string{
		"fairdraw": nil, "postgres": nil, "redis": nil, "backup": nil,
		"caddy": {"tls"}, "prometheus": {"monitoring"}, "grafana": {"monitoring"},
	} {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("service %s missing", name)
			continue
		}
		if !slices.Equal(s.Profiles, profiles) {
			t.Errorf("service %s has profiles %v, want %v", name, s.Profiles, profiles)
		}
	}
	app, bk := c.Services["fairdraw"], c.Services["backup"]
	if app.Image != bk.Image || bk.Build == nil {
		t.Errorf("backup must run the fairdraw image and build it (never pull it): %q %q", app.Image, bk.Image)
	}
	script := strings.Join(bk.Entrypoint, " ")
	if !strings.Contains(script, "fairdraw backup --dir /backups") || !slices.Contains(bk.Volumes, "backups:/backups") {
		t.Errorf("backup service does not run fairdraw backup into the backups volume: %q %v", script, bk.Volumes)
	}
	if every := interpolate(bk.Environment["BACKUP_INTERVAL_SECONDS"], nil); every != "21600" {
		t.Errorf("backups every %s s, want 21600 (6 hours)", every)
	}
	if !strings.Contains(script, `sleep "$$BACKUP_INTERVAL_SECONDS"`) {
		t.Errorf("backup loop does not sleep the interval: %q", script)
	}
	if bk.Healthcheck["disable"] != true {
		t.Errorf("backup inherits the image's HTTP health check, which it can never pass")
	}

	// One health contract: the image's HEALTHCHECK, on /readyz; compose adds none for fairdraw.
	docker, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`HEALTHCHECK[^\n]*\\\n\s+CMD wget -qO- http://127\.0\.0\.1:8080/readyz`).Match(docker) {
		t.Errorf("Dockerfile HEALTHCHECK is not /readyz")
	}
	if app.Healthcheck != nil {
		t.Errorf("compose has its own health check for fairdraw: %v", app.Healthcheck)
	}
	if !bytes.Contains(docker, []byte("postgresql16-client")) || !strings.Contains(raw, "image: postgres:16") {
		t.Errorf("the image's pg_dump must match the compose PostgreSQL (16)")
	}

	// Metrics: their own address inside the network, scraped by Prometheus on that port.
	if app.Environment["METRICS_ADDR"] != ":9090" {
		t.Errorf("METRICS_ADDR = %q", app.Environment["METRICS_ADDR"])
	}
	prom, err := os.ReadFile(filepath.Join(repoRoot, "deploy/prometheus/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var pc struct {
		ScrapeConfigs []struct {
			DNSSD []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(prom, &pc); err != nil || len(pc.ScrapeConfigs) == 0 || len(pc.ScrapeConfigs[0].DNSSD) == 0 ||
		pc.ScrapeConfigs[0].DNSSD[0].Port != 9090 || !slices.Equal(pc.ScrapeConfigs[0].DNSSD[0].Names, []string{"fairdraw"}) {
		t.Errorf("prometheus.yml does not scrape every fairdraw replica on :9090: %+v %v", pc, err)
	}

	// TLS: only Caddy's fixed address is trusted, and Docker never hands it to anything else.
	trusted := netip.MustParsePrefix(interpolate(app.Environment["TRUSTED_PROXIES"], nil))
	var caddyNet struct {
		Fairdraw struct {
			IPv4 string `yaml:"ipv4_address"`
		} `yaml:"fairdraw"`
	}
	caddy := c.Services["caddy"]
	if err := caddy.Networks.Decode(&caddyNet); err != nil {
		t.Fatal(err)
	}
	caddyIP := netip.MustParseAddr(caddyNet.Fairdraw.IPv4)
	ipam := c.Networks["fairdraw"].IPAM.Config[0]
	if trusted != netip.PrefixFrom(caddyIP, 32) || !netip.MustParsePrefix(ipam.Subnet).Contains(caddyIP) ||
		netip.MustParsePrefix(ipam.IPRange).Contains(caddyIP) {
		t.Errorf("TRUSTED_PROXIES %s, caddy %s, subnet %s, dynamic range %s", trusted, caddyIP, ipam.Subnet, ipam.IPRange)
	}

	// Every file compose mounts is in the repository.
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s mounts undeclared volume %s", name, src)
			}
		}
	}
	// Every variable compose reads is documented in .env.example.
	env := envExample(t)
	for _, m := range interpolation.FindAllStringSubmatch(raw, -1) {
		if _, ok := env[m[1]]; !ok {
			t.Errorf("docker-compose.yml reads %s, which .env.example does not document", m[1])
		}
	}
}

// TestEnvExampleStarts: an operator who copies .env.example and sets only BOT_TOKEN gets a
// configuration that serve accepts (in compose, which adds its own variables); and every
// variable fairdraw reads is in .env.example and the README.
func TestEnvExampleStarts(t *testing.T) {
	c, _ := readCompose(t)
	env := envExample(t)
	env["BOT_TOKEN"] = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for k, v := range c.Services["fairdraw"].Environment {
		env[k] = interpolate(v, env)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("configuration from .env.example: %v", err)
	}
	if err := cfg.RequireServe(); err != nil {
		t.Fatalf("serve refuses .env.example with BOT_TOKEN: %v", err)
	}

	var dump bytes.Buffer
	if err := cfg.Dump(&dump, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(dump.String()), "\n") {
		name, _, _ := strings.Cut(line, "=")
		if _, ok := envExample(t)[name]; !ok {
			t.Errorf("%s is not in .env.example", name)
		}
		if !bytes.Contains(readme, []byte("`"+name+"`")) {
			t.Errorf("%s is not in the README", name)
		}
	}
}

func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for _, want := range []string{".env", ".git", "backups", "*.dump"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

// TestDashboardMetricsExist: every metric the Grafana dashboard queries is on /metrics of a
// running serve, once its self-checks (ledger, Stars reserve) have run.
func TestDashboardMetricsExist(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deploy/grafana/dashboards/fairdraw.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("dashboard: %v", err)
	}
	names := map[string]string{}
	metricRE := regexp.MustCompile(`\bfairdraw_[a-z0-9_]+`)
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range metricRE.FindAllString(tg.Expr, -1) {
				names[m] = p.Title
			}
		}
	}
	for _, want := range []string{"fairdraw_notify_sent_total", "fairdraw_notify_throttled_total", "fairdraw_jobs_queue_depth",
		"fairdraw_jobs_oldest_age_seconds", "fairdraw_entries_total", "fairdraw_payments_total", "fairdraw_payouts",
		"fairdraw_stars_reserve", "fairdraw_ledger_check_ok", "fairdraw_http_request_seconds_bucket", "fairdraw_bot_update_seconds_bucket"} {
		if _, ok := names[want]; !ok {
			t.Errorf("the dashboard does not show %s", want)
		}
	}

	_, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379", "HTTP_ADDR": addr, "METRICS_ADDR": metricsAddr,
		"BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL(), "CURRENCIES": "XTR", "LOG_LEVEL": "warn",
	}
	startServe(t, env, io.Discard)
	scrape := func() string {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	// The ledger and reserve checks run once at start, on the replica River elects leader.
	var body string
	waitUntil(t, "self-check metrics", func() bool {
		body = scrape()
		return strings.Contains(body, "fairdraw_ledger_check_ok 1") && strings.Contains(body, `fairdraw_stars_reserve{figure="owed"}`)
	})
	for name, panel := range names {
		if !regexp.MustCompile(`(?m)^` + name + `[{ ]`).MatchString(body) {
			t.Errorf("panel %q queries %s, which /metrics does not have", panel, name)
		}
	}
}
