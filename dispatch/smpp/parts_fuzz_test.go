package smpp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

// FuzzParts sends any text that passes the content rules through the real
// encoder: Parts makes exactly the parts the customer is billed for
// (app.CountSegments), each within an SMS in its encoding (GSM7 160
// septets alone, 153 with the concatenation header; UCS2 140 octets
// alone, 134 with it), numbered 1..n under one reference, and the PDUs,
// marshalled and parsed back as the SMSC reads them, decode to the text.
func FuzzParts(f *testing.F) {
	for _, s := range []string{
		"【示例单位】您好", "hello", "【单位】" + strings.Repeat("长", 200), strings.Repeat("a", 160), strings.Repeat("a", 161),
		strings.Repeat("€", 80) + "x", strings.Repeat("中", 66) + "😀" + strings.Repeat("中", 66),
		"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
		"^{}\\[~]|€\f", "line\r\nbreak",
	} {
		f.Add(s, "12", byte(7))
	}
	f.Fuzz(func(t *testing.T, content, ext string, ref byte) {
		if app.ValidateContent(content) != nil || app.ValidateExt("ext", ext) != nil {
			return // the store never holds such a message
		}
		seg := app.CountSegments(content)
		m := &app.Message{To: "13800138000", Ext: ext, Content: content}
		parts, err := Parts(m, Addressing{Source: "10690001", DestTON: 1, DestNPI: 1}, app.Concat{Ref: ref})
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if len(parts) != seg.Count {
			t.Fatalf("%q: %d parts, billed %d", content, len(parts), seg.Count)
		}
		limit := map[bool]map[app.Encoding]int{false: {app.GSM7: 160, app.UCS2: 140}, true: {app.GSM7: 153, app.UCS2: 134}}[len(parts) > 1][seg.Encoding]
		var text strings.Builder
		for i, part := range parts {
			b := pdu.NewBuffer(nil)
			part.p.Marshal(b)
			p, err := pdu.Parse(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatalf("%q: part %d does not parse back: %v", content, i+1, err)
			}
			sm := p.(*pdu.SubmitSM)
			raw, _ := sm.Message.GetMessageData()
			if len(raw) > limit {
				t.Fatalf("%q: part %d is %d octets (%s), more than %d", content, i+1, len(raw), seg.Encoding, limit)
			}
			wantCoding := byte(data.UCS2Coding)
			if seg.Encoding == app.GSM7 {
				wantCoding = data.GSM7BITCoding
			}
			if c := sm.Message.Encoding().DataCoding(); c != wantCoding {
				t.Fatalf("%q: part %d data_coding %#x, want %#x", content, i+1, c, wantCoding)
			}
			total, seq, r, ok := sm.Message.UDH().GetConcatInfo()
			if len(parts) > 1 && (!ok || int(total) != len(parts) || int(seq) != i+1 || r != ref) {
				t.Fatalf("%q: part %d has UDH %d/%d ref %d (ok %v)", content, i+1, seq, total, r, ok)
			}
			if sm.SourceAddr.Address() != "10690001"+ext || sm.DestAddr.Address() != "13800138000" {
				t.Fatalf("%q: part %d from %q to %q", content, i+1, sm.SourceAddr.Address(), sm.DestAddr.Address())
			}
			s, err := sm.Message.GetMessage()
			if err != nil {
				t.Fatalf("%q: part %d does not decode: %v", content, i+1, err)
			}
			text.WriteString(s)
		}
		if text.String() != content {
			t.Fatalf("%q sent as %q", content, text.String())
		}
	})
}
