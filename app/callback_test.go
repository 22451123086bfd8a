package app

import (
	"net/netip"
	"testing"
)

// TestCallbackAddrRefused pins which addresses callbacks may reach, by
// default and with private targets allowed.
func TestCallbackAddrRefused(t *testing.T) {
	for _, c := range []struct {
		ip              string
		refused, always bool // refused by default; refused even when private is allowed
	}{
		{"127.0.0.1", true, false}, {"127.8.9.10", true, false}, {"10.0.0.1", true, false},
		{"172.16.0.1", true, false}, {"172.31.255.255", true, false}, {"192.168.1.1", true, false},
		{"100.64.0.1", true, false}, {"100.127.255.254", true, false}, {"::1", true, false},
		{"fc00::1", true, false}, {"fd12:3456::1", true, false},
		{"::ffff:127.0.0.1", true, false}, {"::ffff:10.0.0.1", true, false}, {"64:ff9b::a00:1", true, false},
		{"169.254.169.254", true, true}, {"169.254.0.1", true, true}, {"fe80::1", true, true},
		{"fe80::1%eth0", true, true}, {"::ffff:169.254.169.254", true, true}, {"0.0.0.0", true, true},
		{"::", true, true}, {"224.0.0.1", true, true}, {"ff02::1", true, true}, {"255.255.255.255", true, true},
		{"8.8.8.8", false, false}, {"172.32.0.1", false, false}, {"100.128.0.1", false, false},
		{"2001:db8::1", false, false}, {"::ffff:8.8.8.8", false, false}, {"203.0.113.9", false, false},
	} {
		ip := netip.MustParseAddr(c.ip)
		if got := CallbackAddrRefused(ip, false) != ""; got != c.refused {
			t.Errorf("%s refused by default: %v, want %v", c.ip, got, c.refused)
		}
		if got := CallbackAddrRefused(ip, true) != ""; got != c.always {
			t.Errorf("%s refused with private allowed: %v, want %v", c.ip, got, c.always)
		}
	}
}

// TestCheckCallbackURL: registration refuses other schemes and the hosts
// it can judge from the URL alone, with a callback_url field error.
func TestCheckCallbackURL(t *testing.T) {
	for _, c := range []struct {
		url             string
		ok, okIfPrivate bool
	}{
		{"", true, true}, {"https://oa.example.com/smsgw", true, true}, {"http://203.0.113.9:8080/cb", true, true},
		{"ftp://oa.example.com/x", false, false}, {"file:///etc/passwd", false, false}, {"gopher://x/", false, false},
		{"http://127.0.0.1/cb", false, true}, {"http://10.1.2.3/cb", false, true}, {"http://[::1]:8080/cb", false, true},
		{"http://[::ffff:127.0.0.1]/cb", false, true}, {"http://localhost:8080/cb", false, true},
		{"http://LOCALHOST./cb", false, true}, {"http://a.localhost/cb", false, true},
		{"http://169.254.169.254/latest/meta-data/", false, false}, {"http://[fe80::1%25eth0]/", false, false},
		{"http://0.0.0.0:80/", false, false}, {"http://2130706433/", false, false}, {"http://0x7f.1/", false, false},
		{"http://127.1/", false, false},
	} {
		for _, allow := range []bool{false, true} {
			want := c.ok
			if allow {
				want = c.okIfPrivate
			}
			err := CheckCallbackURL(c.url, allow)
			if (err == nil) != want {
				t.Errorf("%q (private allowed %v): %v, want ok %v", c.url, allow, err, want)
			}
			if err != nil && (ErrorCode(err) != EINVALID || err.(*Error).Details["field"] != "callback_url") {
				t.Errorf("%q: %v, want a callback_url field error", c.url, err)
			}
		}
	}
}
