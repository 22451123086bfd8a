// Package ui is smsgw's HTTP face: the JSON API under /api/v1 and the web
// console. It knows the domain only through app's service interfaces.
//
// routes.go lists every address with its guard and handler; the JSON
// handlers are in api_<noun>.go, the console's pages in console_<page>.go
// and their HTML in templates/.
package ui

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"smsgw/app"
)

// Options configure a Server. Every service is required: New names the
// ones missing rather than serving without their pages.
type Options struct {
	Addr string // listen address, e.g. "127.0.0.1:8080" or ":0"
	// Listener, when set, is served instead of listening on Addr (tests; an
	// operator's socket activation).
	Listener net.Listener

	Messages    app.MessageService
	Replies     app.ReplyService
	Keys        app.APIKeyService
	Departments app.DepartmentService
	Users       app.UserService
	Logins      app.LoginService // the console's sign-in and passwords
	Audit       app.AuditService
	Channels    app.ChannelService
	Monitor     app.ChannelMonitor  // live channel state (the engine)
	Batches     app.BatchService    // the console's records and batches held for review
	Templates   app.TemplateService // templates and signatures under review
	Blacklist   app.BlacklistService
	Words       app.WordListService // sensitive words and unsubscribe replies
	Contacts    app.ContactService  // address books (通讯录)
	Imports     app.ContactImportService
	Stats       app.StatsService   // statistics reports (统计报表)
	Accounts    app.AccountService // quota accounts and their ledger (账户流水)

	// SessionAuthKey and SessionEncKey (required) sign and encrypt console
	// cookies.
	SessionAuthKey, SessionEncKey []byte
	SecureCookies                 bool // behind TLS: cookies only over HTTPS
	// TLSCert and TLSKey, when both set, make the server speak HTTPS (and
	// set its cookies Secure).
	TLSCert, TLSKey string

	// CallbackAllowPrivate lets apps register callback URLs on loopback and
	// private addresses (an intranet deployment); see app.CheckCallbackURL.
	CallbackAllowPrivate bool

	Replication app.ReplicationMonitor // nil: not replicating
	DBSize      func() int64           // bytes of the database and its WAL; nil: not shown
	Logger      *slog.Logger
	Location    *time.Location // zone of times in answers (default Asia/Shanghai)
	Version     string

	// Limits on slow and many clients (zero: the defaults in harden.go).
	// ReadHeaderTimeout bounds a request's headers, BodyTimeout the body
	// of an API call or form, UploadTimeout a file upload's; IdleTimeout
	// closes a kept-alive connection; MaxConns caps open connections.
	ReadHeaderTimeout, BodyTimeout, UploadTimeout, IdleTimeout time.Duration
	MaxConns                                                   int
}

// setDefaults fills the limits left zero.
func (o *Options) setDefaults() {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.ReadHeaderTimeout, defaultReadHeaderTimeout}, {&o.BodyTimeout, defaultBodyTimeout},
		{&o.UploadTimeout, defaultUploadTimeout}, {&o.IdleTimeout, defaultIdleTimeout},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if o.MaxConns <= 0 {
		o.MaxConns = defaultMaxConns
	}
}

// missing names the required options not set.
func (o *Options) missing() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"Messages", o.Messages != nil}, {"Replies", o.Replies != nil}, {"Keys", o.Keys != nil},
		{"Departments", o.Departments != nil}, {"Users", o.Users != nil}, {"Logins", o.Logins != nil},
		{"Audit", o.Audit != nil}, {"Channels", o.Channels != nil}, {"Monitor", o.Monitor != nil},
		{"Batches", o.Batches != nil}, {"Templates", o.Templates != nil}, {"Blacklist", o.Blacklist != nil},
		{"Words", o.Words != nil}, {"Contacts", o.Contacts != nil}, {"Imports", o.Imports != nil}, {"Accounts", o.Accounts != nil}, {"Stats", o.Stats != nil}, {"SessionAuthKey", len(o.SessionAuthKey) > 0}, {"SessionEncKey", len(o.SessionEncKey) > 0},
	} {
		if !f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// Server serves the API and the console.
type Server struct {
	opts    Options
	log     *slog.Logger
	echo    *echo.Echo
	http    *http.Server
	ln      net.Listener
	served  chan error // Serve's end: nil after Close, else why it failed
	limits  limiters
	console *console
}

// New builds the server and its routes. It fails, naming them, when
// required options are missing.
func New(opts Options) (*Server, error) {
	if m := opts.missing(); len(m) > 0 {
		return nil, fmt.Errorf("ui.New: missing %s", strings.Join(m, ", "))
	}
	opts.setDefaults()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Location == nil {
		if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
			opts.Location = loc
		} else {
			opts.Location = time.FixedZone("CST", 8*3600)
		}
	}
	s := &Server{opts: opts, log: opts.Logger, echo: echo.New(), limits: limiters{m: map[int64]*rate.Limiter{}}}
	s.echo.HideBanner, s.echo.HidePort = true, true
	// The peer address, not X-Forwarded-For, which any caller can forge; a
	// deployment behind a trusted proxy would configure that proxy here.
	s.echo.IPExtractor = echo.ExtractIPDirect()
	s.echo.HTTPErrorHandler = s.handleError
	// A handler that panics answers 500 (logged with its stack) instead of
	// dropping the connection.
	s.echo.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		s.log.Error("handler panic", "path", c.Path(), "error", err, "stack", string(stack))
		return err
	}}))
	s.echo.Use(s.secureHeaders)
	s.console = newConsole(opts.SessionAuthKey, opts.SessionEncKey, opts.SecureCookies || opts.TLSCert != "")
	s.routes()
	// No ReadTimeout: limitBody sets each body's deadline by its route
	// (uploads may take minutes, a form seconds).
	s.http = &http.Server{Handler: s.echo, ReadHeaderTimeout: opts.ReadHeaderTimeout, IdleTimeout: opts.IdleTimeout}
	return s, nil
}

// Open starts listening and serving in the background.
func (s *Server) Open() error {
	ln := s.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.opts.Addr); err != nil {
			return err
		}
	}
	s.ln = newLimitListener(ln, s.opts.MaxConns)
	if s.opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.opts.TLSCert, s.opts.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("TLS certificate: %w", err)
		}
		s.ln = tls.NewListener(s.ln, tlsConfig(cert))
	}
	s.served = make(chan error, 1)
	go func() {
		err := s.http.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else if err != nil {
			s.log.Error("http server stopped", "error", err)
		}
		s.served <- err
	}()
	return nil
}

// Wait blocks until the server stops serving: nil after Close, else the
// error that stopped it (the listener failed), so the program can stop
// instead of running on without HTTP.
// A server never opened has nothing to wait for.
func (s *Server) Wait() error {
	if s.served == nil {
		return nil
	}
	return <-s.served
}

// URL is the base URL the server listens on.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	} else if s.opts.TLSCert != "" {
		return "https://" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

// Handler returns the HTTP handler, for tests.
func (s *Server) Handler() http.Handler { return s.echo }

// Close stops accepting connections and waits for requests in progress.
func (s *Server) Close(ctx context.Context) error {
	return s.http.Shutdown(ctx)
}
