package ui

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Defaults for the limits in Options (issue 14, items 11 and 19). A slow
// client may hold a connection only this long; the connection cap bounds
// how many it can hold at once.
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultBodyTimeout       = 30 * time.Second
	// An upload of 100,000 numbers is a few MB; 10 minutes lets it through
	// a slow office uplink.
	defaultUploadTimeout = 10 * time.Minute
	defaultIdleTimeout   = 2 * time.Minute
	defaultMaxConns      = 512

	// maxFormBody caps sign-in and the small console forms that carry no
	// list of numbers.
	maxFormBody = 64 << 10
	// maxUploadBody caps a file upload with its multipart framing.
	maxUploadBody = maxUploadBytes + 1<<16
)

// bodyClass is how much a route may be sent, and for how long.
type bodyClass int

const (
	bodyForm   bodyClass = iota // sign-in, language, logout: a few fields
	bodyJSON                    // the API and console forms (a pasted list of numbers)
	bodyUpload                  // XLSX/CSV/TXT files
)

// uploadRoutes are the routes that take a file.
var uploadRoutes = map[string]bool{
	"POST /send/upload": true, "POST /send/upload-params": true,
	"POST /blacklist/import": true, "POST /api/v1/blacklist/import": true,
	"POST /words/:action": true, "PUT /api/v1/word-lists/:name": true,
	"POST /contacts/import": true, "POST /contacts/import/preview": true,
	"POST /api/v1/contacts/import": true, "POST /api/v1/contacts/import/preview": true,
}

// formRoutes are the small public or account forms.
var formRoutes = map[string]bool{"POST /login": true, "POST /lang": true, "POST /logout": true}

func routeBodyClass(method, path string) bodyClass {
	switch key := method + " " + path; {
	case uploadRoutes[key]:
		return bodyUpload
	case formRoutes[key]:
		return bodyForm
	}
	return bodyJSON
}

// limitBody caps the request body before anything parses it (a multipart
// form is otherwise spooled to disk whole) and gives its reading a
// deadline, so a client sending a byte every few seconds is cut off.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		limit, timeout := int64(maxBody), s.opts.BodyTimeout
		switch routeBodyClass(req.Method, c.Path()) {
		case bodyForm:
			limit = maxFormBody
		case bodyUpload:
			limit, timeout = maxUploadBody, s.opts.UploadTimeout
		}
		if req.ContentLength > limit {
			// Unread, the body would be drained by the server: close instead.
			c.Response().Header().Set("Connection", "close")
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "请求体过大 (request body too large)")
		}
		if req.Body == nil || req.Body == http.NoBody {
			return next(c)
		}
		rc := http.NewResponseController(c.Response().Writer)
		_ = rc.SetReadDeadline(time.Now().Add(timeout))
		req.Body = &deadlineBody{ReadCloser: http.MaxBytesReader(c.Response().Writer, req.Body, limit), rc: rc}
		return next(c)
	}
}

// deadlineBody lifts the read deadline once the body is read whole: the server
// then waits on the connection to notice a client that leaves, and a
// deadline hit there would cancel a long answer still being written.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done { // not on a timeout: that connection is done
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// secureHeaders sets the headers every answer carries: no sniffing, no
// framing, no referrer to other sites, HSTS under TLS, and no caching of
// anything but the static files (pages and API answers carry numbers and
// names: Back after logout must not show them).
//
// The Content-Security-Policy runs only the site's own script files: no
// inline script or handler, no eval (the console's scripts are files under
// static/, Alpine is its CSP build, htmx is told not to eval). Styles may be
// inline: progress bars are drawn with style="width:…%" from the server.
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	tls := s.opts.TLSCert != ""
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		if tls {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// contentSecurityPolicy is every answer's Content-Security-Policy.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"

// localPath reports whether p is a path on this site: it starts with one
// slash and nothing a browser would read as another host ("//host",
// "/\host", a scheme, control characters).
func localPath(p string) bool {
	if !strings.HasPrefix(p, "/") || len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return false
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return false
		}
	}
	return true
}

// tlsConfig serves TLS 1.2 with AEAD suites only (no CBC) and TLS 1.3.
func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, CipherSuites: []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}}
}

// limitListener accepts at most n connections at a time; Accept waits for
// one to close. Its own, for golang.org/x/net is only an indirect dependency.
type limitListener struct {
	net.Listener
	sem chan struct{}
}

func newLimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

// limitConn gives back its slot once, on the first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
