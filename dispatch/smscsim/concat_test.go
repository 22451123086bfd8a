package smscsim

import (
	"testing"
	"unicode/utf16"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// partSM builds one part of a concatenated message with a raw UDH.
func partSM(t testing.TB, dst string, udh []byte, dc byte, body []byte) *pdu.SubmitSM {
	t.Helper()
	p := pdu.NewSubmitSM().(*pdu.SubmitSM)
	_ = p.SourceAddr.SetAddress("10690001")
	_ = p.DestAddr.SetAddress(dst)
	p.EsmClass = data.SM_UDH_GSM
	p.RegisteredDelivery = 1
	var u pdu.UDH
	if _, err := u.UnmarshalBinary(udh); err != nil {
		t.Fatal(err)
	}
	enc := data.FromDataCoding(dc)
	if err := p.Message.SetMessageDataWithEncoding(body, enc); err != nil {
		t.Fatal(err)
	}
	p.Message.SetUDH(u)
	return p
}

func ucs2(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func TestConcat(t *testing.T) {
	t.Run("RecordsPartsAndCountsEachSetOnce", func(t *testing.T) {
		s := startServer(t, Options{ReceiptDelay: -1})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		// A 3-part UCS2 message with an 8-bit reference, arriving out of
		// order; a 2-part GSM message with a 16-bit reference; a single.
		parts := []*pdu.SubmitSM{
			partSM(t, "13800138000", []byte{5, 0, 3, 0x2a, 3, 3}, data.UCS2Coding, ucs2("第三部分😀")),
			partSM(t, "13800138000", []byte{5, 0, 3, 0x2a, 3, 1}, data.UCS2Coding, ucs2("第一部分")),
			partSM(t, "13800138001", []byte{6, 8, 4, 0x12, 0x34, 2, 1}, data.GSM7BITCoding, []byte("first half ")),
			partSM(t, "13800138000", []byte{5, 0, 3, 0x2a, 3, 2}, data.UCS2Coding, ucs2("第二部分")),
			partSM(t, "13800138001", []byte{6, 8, 4, 0x12, 0x34, 2, 2}, data.GSM7BITCoding, []byte("second half")),
		}
		for _, p := range parts {
			c.send(p)
		}
		c.send(submitSM(t, "1", "13800138002", "single", 1))
		for range 2 * (len(parts) + 1) { // responses and receipts
			c.next()
		}
		st := s.Stats()
		if st.Accepted != 6 || st.Unique != 6 || st.Duplicates != 0 || st.Messages != 3 {
			t.Fatalf("stats %+v, want 6 accepted, 6 unique, 3 messages", st)
		}
		subs := s.Submitted()
		want := []struct {
			udh  UDHInfo
			text string
			dc   byte
		}{
			{UDHInfo{0x2a, 3, 3}, "第三部分😀", 8},
			{UDHInfo{0x2a, 3, 1}, "第一部分", 8},
			{UDHInfo{0x1234, 2, 1}, "first half ", 0},
			{UDHInfo{0x2a, 3, 2}, "第二部分", 8},
			{UDHInfo{0x1234, 2, 2}, "second half", 0},
		}
		for i, w := range want {
			got := subs[i]
			if got.UDH == nil || *got.UDH != w.udh || got.Text != w.text || got.DataCoding != w.dc || got.EsmClass != 0x40 {
				t.Errorf("part %d: %+v (udh %+v), want %+v", i, got, got.UDH, w)
			}
		}
		if subs[5].UDH != nil {
			t.Errorf("single part has UDH %+v", subs[5].UDH)
		}
	})

	t.Run("CountsDuplicates", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transmitter)
		for _, dst := range []string{"100", "100", "200", "100"} {
			c.send(submitSM(t, "1", dst, "same text", 0))
			c.submitResp()
		}
		// A part of a set is a different key from a single with its text.
		c.send(partSM(t, "100", []byte{5, 0, 3, 1, 2, 1}, 0, []byte("same text")))
		c.submitResp()
		c.send(partSM(t, "100", []byte{5, 0, 3, 9, 2, 1}, 0, []byte("same text")))
		c.submitResp()
		st := s.Stats()
		if st.Accepted != 6 || st.Unique != 3 || st.Duplicates != 3 {
			t.Fatalf("stats %+v, want 3 unique and 3 duplicates", st)
		}
	})

	t.Run("ReadsMessagePayloadAndSARTLVs", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transmitter)
		p := pdu.NewSubmitSM().(*pdu.SubmitSM)
		_ = p.DestAddr.SetAddress("300")
		_ = p.Message.SetMessageDataWithEncoding(nil, data.UCS2)
		p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagMessagePayload, Data: ucs2("载荷")})
		p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarMsgRefNum, Data: []byte{0, 7}})
		p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarTotalSegments, Data: []byte{1}})
		p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarSegmentSeqnum, Data: []byte{1}})
		c.send(p)
		c.submitResp()
		sub := s.Submitted()[0]
		if sub.Text != "载荷" || sub.UDH == nil || *sub.UDH != (UDHInfo{7, 1, 1}) {
			t.Fatalf("recorded %+v udh %+v", sub, sub.UDH)
		}
		if st := s.Stats(); st.Messages != 1 {
			t.Errorf("Messages = %d, want 1", st.Messages)
		}
	})

	t.Run("KeepsTheLastRecords", func(t *testing.T) {
		s := startServer(t, Options{Keep: 3})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transmitter)
		for _, text := range []string{"a", "b", "c", "d", "e"} {
			c.send(submitSM(t, "1", "2", text, 0))
			c.submitResp()
		}
		subs := s.Submitted()
		if len(subs) != 3 || subs[0].Text != "c" || subs[2].Text != "e" {
			t.Fatalf("Submitted() = %+v", subs)
		}
		if last := s.rec.last(1); len(last) != 1 || last[0].Text != "e" {
			t.Fatalf("last(1) = %+v", last)
		}
		if st := s.Stats(); st.Accepted != 5 {
			t.Errorf("Accepted = %d", st.Accepted)
		}
	})
}

func TestDecodeText(t *testing.T) {
	for _, tc := range []struct {
		dc   byte
		in   []byte
		want string
	}{
		{0, []byte("plain text"), "plain text"},
		{0, []byte{0x00, 0x02, 0x1b, 0x65, 0x11}, "@$€_"},
		{1, []byte("ascii@"), "ascii@"},
		{8, ucs2("中文😀"), "中文😀"},
		{8, append(ucs2("odd"), 0x41), "odd"},
		{3, []byte{0xe9}, "é"},
		{4, []byte{0xca, 0xfe}, "cafe"},
		{0xf0, []byte("class 0"), "class 0"},
		{0xf5, []byte{1, 2}, "0102"},
		{0x80, []byte{0xff}, "\uFFFD"},
		{0, []byte{0x80}, "\uFFFD"},
	} {
		if got := decodeText(tc.dc, tc.in); got != tc.want {
			t.Errorf("decodeText(%#x, %x) = %q, want %q", tc.dc, tc.in, got, tc.want)
		}
	}
}

func TestConcatCounts(t *testing.T) {
	t.Run("TellsSameReferenceResendsFromOtherReferencesAndCountsIncompleteSets", func(t *testing.T) {
		s := startServer(t, Options{ReceiptDelay: -1})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		parts := []*pdu.SubmitSM{
			partSM(t, "13800138000", []byte{5, 0, 3, 0x2a, 2, 1}, data.GSM7BITCoding, []byte("one ")),
			partSM(t, "13800138000", []byte{5, 0, 3, 0x2a, 2, 2}, data.GSM7BITCoding, []byte("two")),
			// Part 2 again under its reference: the handset keeps one.
			partSM(t, "13800138000", []byte{5, 0, 3, 0x2a, 2, 2}, data.GSM7BITCoding, []byte("two")),
			// Part 1 again under another: a fragment the handset shows.
			partSM(t, "13800138000", []byte{5, 0, 3, 0x2b, 2, 1}, data.GSM7BITCoding, []byte("one ")),
		}
		for _, p := range parts {
			c.send(p)
		}
		for range 2 * len(parts) {
			c.next()
		}
		st := s.Stats()
		if st.Unique != 2 || st.Duplicates != 2 || st.SameRefDuplicates != 1 || st.Incomplete != 2 || st.Messages != 1 {
			t.Fatalf("stats %+v: want 2 unique, 2 duplicates (1 under the same reference), 2 incomplete sets, 1 message", st)
		}
	})

	t.Run("PartStatusRefusesTheChosenPart", func(t *testing.T) {
		s := startServer(t, Options{ReceiptDelay: -1, PartStatus: func(dest string, udh *UDHInfo) uint32 {
			if udh != nil && udh.Seq == 2 {
				return uint32(data.ESME_RTHROTTLED)
			}
			return 0
		}})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		c.send(partSM(t, "13800138000", []byte{5, 0, 3, 0x2a, 2, 1}, data.GSM7BITCoding, []byte("one ")))
		c.send(partSM(t, "13800138000", []byte{5, 0, 3, 0x2a, 2, 2}, data.GSM7BITCoding, []byte("two")))
		var throttled int
		for range 3 { // two responses, one receipt
			if r, ok := c.next().(*pdu.SubmitSMResp); ok && r.CommandStatus == data.ESME_RTHROTTLED {
				throttled++
			}
		}
		if st := s.Stats(); throttled != 1 || st.Throttled != 1 || st.Accepted != 1 || st.Incomplete != 1 {
			t.Fatalf("%d throttled answers, stats %+v: want part 2 alone throttled", throttled, st)
		}
	})
}
