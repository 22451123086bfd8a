package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Carrier is a Chinese mobile network operator. The values are the codes
// operators use in routing configuration, so they never change.
type Carrier string

// The carriers a number can belong to. Virtual operators (MVNOs) are reported
// as their host network, because that is where the message is routed.
const (
	CarrierMobile   Carrier = "cmcc" // 中国移动
	CarrierUnicom   Carrier = "cucc" // 中国联通
	CarrierTelecom  Carrier = "ctcc" // 中国电信
	CarrierBroadnet Carrier = "cbn"  // 中国广电
	CarrierUnknown  Carrier = ""     // prefix not in the table
)

// Valid reports whether c is one of the four real carriers; CarrierUnknown
// is not valid.
func (c Carrier) Valid() bool {
	switch c {
	case CarrierMobile, CarrierUnicom, CarrierTelecom, CarrierBroadnet:
		return true
	}
	return false
}

// Label is the Chinese name shown in the console.
func (c Carrier) Label() string {
	switch c {
	case CarrierMobile:
		return "中国移动"
	case CarrierUnicom:
		return "中国联通"
	case CarrierTelecom:
		return "中国电信"
	case CarrierBroadnet:
		return "中国广电"
	}
	return "未知"
}

// ParseCarrier reads a carrier code ("cmcc", "cucc", "ctcc", "cbn"),
// ignoring case because operators type them by hand in configuration.
func ParseCarrier(s string) (Carrier, error) {
	for _, c := range [...]Carrier{CarrierMobile, CarrierUnicom, CarrierTelecom, CarrierBroadnet} {
		if strings.EqualFold(s, string(c)) {
			return c, nil
		}
	}
	return CarrierUnknown, Errorf(EINVALID, "未知运营商「%s」：应为cmcc、cucc、ctcc或cbn", s)
}

// CarrierInfo is the result of a prefix lookup: which network carries the
// number and whether it is a virtual operator (MVNO, 虚拟运营商) number.
type CarrierInfo struct {
	Carrier Carrier
	Virtual bool
}

// CarrierTable maps number prefixes (3 or 4 digits, longest match wins) to
// carriers. It is immutable once built, safe for concurrent use.
//
// Every mobile number starts with 1, so the table is two arrays indexed by
// the digits after it: Lookup is two array reads, which matters when a batch
// of 100,000 numbers is routed.
type CarrierTable struct {
	three [100]CarrierInfo  // 1xx, indexed by xx
	four  [1000]CarrierInfo // 1xxx, indexed by xxx; overrides three
}

// Lookup returns the carrier of a normalised number (11 digits, see
// NormalizeNumber). A 4-digit prefix wins over its 3-digit prefix.
// Unallocated prefixes and malformed input give the zero CarrierInfo
// (CarrierUnknown).
func (t *CarrierTable) Lookup(number string) CarrierInfo {
	if t == nil || len(number) < 3 || number[0] != '1' {
		return CarrierInfo{}
	}
	// Bytes below '0' wrap around to large values, so one comparison each
	// rejects non-digits.
	a, b := number[1]-'0', number[2]-'0'
	if a > 9 || b > 9 {
		return CarrierInfo{}
	}
	if len(number) > 3 {
		if c := number[3] - '0'; c <= 9 {
			if info := t.four[int(a)*100+int(b)*10+int(c)]; info.Carrier != CarrierUnknown {
				return info
			}
		}
	}
	return t.three[int(a)*10+int(b)]
}

// DefaultCarrierTable returns the built-in table of current allocations. It
// is parsed once and shared, which is safe because a table never changes.
func DefaultCarrierTable() *CarrierTable {
	return defaultCarrierTable()
}

var defaultCarrierTable = sync.OnceValue(func() *CarrierTable {
	t, err := ParseCarrierTable(strings.NewReader(defaultCarrierData))
	if err != nil {
		panic("app: built-in carrier table: " + ErrorMessage(err))
	}
	return t
})

// defaultCarrierData is written in the same format operators use for their
// own tables, so it doubles as the example to copy from.
const defaultCarrierData = `
# 号段 运营商 [virtual]
# 4-digit prefixes override the 3-digit prefix they start with.

# 中国移动 China Mobile
134  cmcc      # 1340-1348; 1349 is Telecom, below
135  cmcc
136  cmcc
137  cmcc
138  cmcc
139  cmcc
147  cmcc
148  cmcc
150  cmcc
151  cmcc
152  cmcc
157  cmcc
158  cmcc
159  cmcc
172  cmcc
178  cmcc
182  cmcc
183  cmcc
184  cmcc
187  cmcc
188  cmcc
195  cmcc
197  cmcc
198  cmcc

# 中国联通 China Unicom
130  cucc
131  cucc
132  cucc
145  cucc
146  cucc
155  cucc
156  cucc
166  cucc
175  cucc
176  cucc
185  cucc
186  cucc
196  cucc

# 中国电信 China Telecom
133  ctcc
1349 ctcc      # satellite
149  ctcc
153  ctcc
173  ctcc
1740 ctcc      # 1740-1745 satellite; the rest of 174 is not public
1741 ctcc
1742 ctcc
1743 ctcc
1744 ctcc
1745 ctcc
177  ctcc
180  ctcc
181  ctcc
189  ctcc
190  ctcc
191  ctcc
193  ctcc
199  ctcc

# 中国广电 China Broadnet
192  cbn

# 虚拟运营商 virtual operators, listed under their host network
162  ctcc virtual
165  cmcc virtual
167  cucc virtual
1700 ctcc virtual
1701 ctcc virtual
1702 ctcc virtual
1703 cmcc virtual
1704 cucc virtual
1705 cmcc virtual
1706 cmcc virtual
1707 cucc virtual
1708 cucc virtual
1709 cucc virtual
171  cucc virtual
`

// maxCarrierLine bounds a table line; real lines are a few dozen bytes, so a
// longer one means the wrong file was uploaded.
const maxCarrierLine = 4096

// ParseCarrierTable reads a prefix table so operators can follow new
// allocations without a new release. Each line is "prefix carrier
// [virtual]", e.g. "1703 cmcc virtual"; '#' starts a comment and blank lines
// are ignored. Prefixes are 3 or 4 digits starting with 1, and each may
// appear once.
//
// Mistakes in the table are EINVALID errors naming the line; a failure to
// read r is returned as is (and so reported as EINTERNAL).
func ParseCarrierTable(r io.Reader) (*CarrierTable, error) {
	t := &CarrierTable{}
	var defined3 [len(t.three)]int // line that defined each prefix, for the duplicate message
	var defined4 [len(t.four)]int
	entries := 0

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxCarrierLine)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if len(fields) < 2 {
			return nil, Errorf(EINVALID, "号段表第%d行：缺少运营商，格式应为“号段 运营商 [virtual]”", line)
		}
		if len(fields) > 3 {
			return nil, Errorf(EINVALID, "号段表第%d行：多余的内容「%s」，格式应为“号段 运营商 [virtual]”", line, fields[3])
		}

		prefix := fields[0]
		if !isCarrierPrefix(prefix) {
			return nil, Errorf(EINVALID, "号段表第%d行：号段「%s」无效，应为1开头的3位或4位数字", line, prefix)
		}
		c, err := ParseCarrier(fields[1])
		if err != nil {
			return nil, Errorf(EINVALID, "号段表第%d行：运营商「%s」无效，应为cmcc、cucc、ctcc或cbn", line, fields[1])
		}
		info := CarrierInfo{Carrier: c}
		if len(fields) == 3 {
			if !strings.EqualFold(fields[2], "virtual") {
				return nil, Errorf(EINVALID, "号段表第%d行：「%s」无法识别，虚拟运营商应写virtual", line, fields[2])
			}
			info.Virtual = true
		}

		idx := 0
		for i := 1; i < len(prefix); i++ {
			idx = idx*10 + int(prefix[i]-'0')
		}
		var slot *CarrierInfo
		var defined *int
		if len(prefix) == 3 {
			slot, defined = &t.three[idx], &defined3[idx]
		} else {
			slot, defined = &t.four[idx], &defined4[idx]
		}
		if *defined != 0 {
			return nil, Errorf(EINVALID, "号段表第%d行：号段%s重复，第%d行已定义", line, prefix, *defined)
		}
		*slot, *defined = info, line
		entries++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, Errorf(EINVALID, "号段表第%d行：行太长（超过%d字节），请确认上传的是号段表", line+1, maxCarrierLine)
		}
		return nil, fmt.Errorf("read carrier table: %w", err)
	}
	if entries == 0 {
		// An empty table would route every number as unknown; that is
		// always a mistake, not a configuration.
		return nil, Errorf(EINVALID, "号段表为空：至少需要一行“号段 运营商”")
	}
	return t, nil
}

// isCarrierPrefix reports whether s is 3 or 4 ASCII digits starting with 1,
// the only prefixes Lookup can ever match.
func isCarrierPrefix(s string) bool {
	if (len(s) != 3 && len(s) != 4) || s[0] != '1' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
