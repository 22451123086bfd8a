package dispatch

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"smsgw/app"
)

// Timeouts of one callback (issue 14, item 14): a receiver that does not
// connect, or does not answer, gives up its attempt quickly; each app has a
// lane of its own, so it holds up no other app meanwhile.
const (
	callbackConnectTimeout = 5 * time.Second
	callbackTimeout        = 15 * time.Second // connect, TLS, request and answer
)

// errRedirect marks an answer that tried to send the callback elsewhere.
var errRedirect = errors.New("redirects are not followed")

// CallbackClient is the HTTP client callbacks go out with. It connects only
// to addresses app.CallbackAddrRefused allows, checked on the address the
// dialer is about to connect to (after DNS, so a name that resolves to a
// refused address, even on a later lookup, is refused); it uses no proxy
// (which would connect in its place, unchecked), and it does not follow
// redirects: a 3xx answer fails the attempt.
func CallbackClient(allowPrivate bool, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = callbackTimeout
	}
	d := &net.Dialer{
		Timeout:   min(callbackConnectTimeout, timeout),
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("callback address %q: %w", address, err)
			}
			if why := app.CallbackAddrRefused(ap.Addr(), allowPrivate); why != "" {
				return fmt.Errorf("callback refused: %s", why)
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   min(callbackConnectTimeout, timeout),
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errRedirect
		},
	}
}
