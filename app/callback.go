package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Callback is a notice owed to an app's callback URL: the result of the
// review of a template or a signature it submitted.
type Callback struct {
	ID       int64
	APIKeyID int64
	URL      string
	Secret   string // the app's secret, which signs the body
	Event    string // "template.reviewed", "signature.reviewed", "batch.reviewed"
	Body     []byte // JSON
	Attempts int    // made so far
}

// MaxCallbackAttempts is how often a callback is tried before it is given
// up (about a day of backoff in all).
const MaxCallbackAttempts = 12

// CallbackBackoff is the wait after the n-th failed attempt: 10 s, doubling,
// at most 4 h.
func CallbackBackoff(n int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < n && d < 4*time.Hour; i++ {
		d *= 2
	}
	return min(d, 4*time.Hour)
}

// SignCallback is the X-Smsgw-Signature of a callback: hex HMAC-SHA256,
// keyed with the app's secret, over "TIMESTAMP\nBODY".
func SignCallback(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "\n"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// CallbackStore keeps the callbacks owed until they are delivered.
type CallbackStore interface {
	// DueCallbacks returns up to limit callbacks whose time has come,
	// oldest first, a few per app at most.
	DueCallbacks(ctx context.Context, limit int) ([]*Callback, error)
	// CallbackDone records an attempt: delivered (err nil) removes it;
	// otherwise it is tried again later, or given up after MaxCallbackAttempts,
	// and the app's other callbacks wait until that later attempt.
	CallbackDone(ctx context.Context, id int64, err error) error
}

// Callback targets (issue 14, item 14). A callback URL is chosen by whoever
// manages an app, so the server must not become their way into the hosts
// only it can reach: loopback, the private networks, link-local addresses
// (cloud metadata at 169.254.169.254) and the like are refused. The sender
// checks the address it actually connects to, after DNS, so a name that
// later resolves elsewhere cannot get round the rule; registration refuses
// what it can see in the URL itself.

var (
	// Refused even when private targets are allowed: no service there is
	// a callback receiver, and link-local holds cloud metadata.
	alwaysRefused = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),      // "this network"; 0.0.0.0 reaches the host itself
		netip.MustParsePrefix("169.254.0.0/16"), // link-local, cloud metadata
		netip.MustParsePrefix("224.0.0.0/4"),    // multicast
		netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
		netip.MustParsePrefix("::/128"),         // unspecified
		netip.MustParsePrefix("fe80::/10"),      // link-local
		netip.MustParsePrefix("ff00::/8"),       // multicast
		netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	}
	// Refused unless the operator allows private targets (an intranet
	// deployment whose receivers live there).
	privateRanges = []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),    // loopback
		netip.MustParsePrefix("10.0.0.0/8"),     // RFC 1918
		netip.MustParsePrefix("172.16.0.0/12"),  // RFC 1918
		netip.MustParsePrefix("192.168.0.0/16"), // RFC 1918
		netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
		netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
		netip.MustParsePrefix("::1/128"),        // loopback
		netip.MustParsePrefix("fc00::/7"),       // unique local
	}
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
)

// CallbackAddrRefused says why the callback sender may not connect to ip,
// or "" when it may. IPv4 written as IPv6 (::ffff:127.0.0.1, or through the
// NAT64 prefix) is judged as the IPv4 address it reaches.
func CallbackAddrRefused(ip netip.Addr, allowPrivate bool) string {
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	} else if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	if !ip.IsValid() {
		return "not an IP address"
	}
	for _, p := range alwaysRefused {
		if p.Contains(ip) {
			return "link-local, multicast or unspecified address " + ip.String()
		}
	}
	if !allowPrivate {
		for _, p := range privateRanges {
			if p.Contains(ip) {
				return "loopback or private address " + ip.String() + " (serve --callback-allow-private allows it)"
			}
		}
	}
	return ""
}

// CheckCallbackURL validates a callback URL at registration: an absolute
// http or https URL whose host is not, as written, a refused address. A
// name is resolved only when a callback is sent (and checked then); the
// names that always mean this host (localhost, *.localhost) and numeric
// hosts that are not plain dotted IPv4 (2130706433, 0x7f.1) are refused here.
func CheckCallbackURL(v string, allowPrivate bool) error {
	if err := ValidateCallbackURL(v); err != nil || v == "" {
		return err
	}
	u, _ := url.Parse(v)
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	refused := func(why string) error {
		return FieldError("callback_url", "回调地址不能指向本机、内网、链路本地或组播地址（%s）", why)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := CallbackAddrRefused(ip, allowPrivate); why != "" {
			return refused(why)
		}
		return nil
	}
	if host == "" {
		return FieldError("callback_url", "回调地址应为 http:// 或 https:// 开头的完整网址")
	}
	if !allowPrivate && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		return refused(host)
	}
	// The last label of a real name is never numeric; resolvers read such
	// hosts as IPv4 in other notations.
	last := host[strings.LastIndex(host, ".")+1:]
	if last == "" || strings.HasPrefix(last, "0x") || strings.Trim(last, "0123456789") == "" {
		return refused("numeric host " + host)
	}
	return nil
}
