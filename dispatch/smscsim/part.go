package smscsim

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"unicode/utf16"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// submitPart decodes what Submitted records of a submit_sm: its raw
// data_coding, its concatenation header and its text.
func submitPart(req *pdu.SubmitSM, frame []byte) (dc byte, udh *UDHInfo, text string) {
	dc = dataCoding(req, frame)
	msg, _ := req.Message.GetMessageData()
	u := req.Message.UDH()
	if len(msg) == 0 && len(u) == 0 {
		// Long messages may come whole in the message_payload TLV, with
		// the UDH, if any, at its start.
		if f, ok := req.OptionalParameters[pdu.TagMessagePayload]; ok {
			msg = f.Data
			if req.EsmClass&data.SM_UDH_GSM != 0 {
				var pu pdu.UDH
				if _, err := pu.UnmarshalBinary(msg); err == nil && pu.UDHL() <= len(msg) {
					u, msg = pu, msg[pu.UDHL():]
				}
			}
		}
	}
	udh = concatInfo(u)
	if udh == nil {
		udh = sarInfo(req.OptionalParameters)
	}
	return dc, udh, decodeText(dc, msg)
}

// dataCoding returns the data_coding byte of a decoded submit_sm. gosmpp
// keeps only an Encoding, which is nil for codings it does not know, so the
// byte is read from the frame at the offset that the decoded fields imply.
func dataCoding(req *pdu.SubmitSM, frame []byte) byte {
	off := headerLen +
		len(req.ServiceType) + 1 +
		2 + len(req.SourceAddr.Address()) + 1 +
		2 + len(req.DestAddr.Address()) + 1 +
		3 + // esm_class, protocol_id, priority_flag
		len(req.ScheduleDeliveryTime) + 1 +
		len(req.ValidityPeriod) + 1 +
		2 // registered_delivery, replace_if_present_flag
	if off < len(frame) {
		return frame[off]
	}
	return 0
}

// concatInfo finds a concatenation element in a UDH: IEI 0x00 (8-bit
// reference) or 0x08 (16-bit reference).
func concatInfo(u pdu.UDH) *UDHInfo {
	for _, ie := range u {
		switch {
		case ie.ID == data.UDH_CONCAT_MSG_8_BIT_REF && len(ie.Data) == 3:
			return &UDHInfo{Ref: int(ie.Data[0]), Total: int(ie.Data[1]), Seq: int(ie.Data[2])}
		case ie.ID == data.UDH_CONCAT_MSG_16_BIT_REF && len(ie.Data) == 4:
			return &UDHInfo{Ref: int(binary.BigEndian.Uint16(ie.Data)), Total: int(ie.Data[2]), Seq: int(ie.Data[3])}
		}
	}
	return nil
}

// sarInfo reads the SMPP way of concatenating: the sar_* TLVs.
func sarInfo(tlv map[pdu.Tag]pdu.Field) *UDHInfo {
	ref, ok1 := tlv[pdu.TagSarMsgRefNum]
	total, ok2 := tlv[pdu.TagSarTotalSegments]
	seq, ok3 := tlv[pdu.TagSarSegmentSeqnum]
	if !ok1 || !ok2 || !ok3 || len(ref.Data) != 2 || len(total.Data) != 1 || len(seq.Data) != 1 {
		return nil
	}
	return &UDHInfo{Ref: int(binary.BigEndian.Uint16(ref.Data)), Total: int(total.Data[0]), Seq: int(seq.Data[0])}
}

// decodeText turns a short_message into UTF-8 according to data_coding.
// Binary codings are shown in hex; bytes that do not decode are kept as
// they are rather than failing the submit.
func decodeText(dc byte, b []byte) string {
	switch {
	case dc == data.GSM7BITCoding, dc&0xf4 == 0xf0: // 0xF0..0xF3: GSM 7-bit with a message class
		return decodeGSM7(b)
	case dc == data.UCS2Coding:
		return decodeUCS2(b)
	case dc == data.BINARY8BIT1Coding, dc == data.BINARY8BIT2Coding, dc&0xf4 == 0xf4:
		return hex.EncodeToString(b)
	case dc == data.LATIN1Coding, dc == data.CYRILLICCoding, dc == data.HEBREWCoding:
		if s, err := data.FromDataCoding(dc).Decode(b); err == nil {
			return s
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// decodeGSM7 decodes the unpacked GSM 7-bit default alphabet (one septet a
// byte, as SMPP carries it). Text that reads the same in ASCII skips the
// general decoder, which allocates a lot.
func decodeGSM7(b []byte) string {
	plain := true
	for _, c := range b {
		if !gsmASCII(rune(c)) && c != '\n' && c != '\r' {
			plain = false
			break
		}
	}
	if plain {
		return string(b)
	}
	if s, err := data.GSM7BIT.Decode(b); err == nil {
		return s
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// decodeUCS2 decodes UTF-16BE; a trailing odd byte is dropped.
func decodeUCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
