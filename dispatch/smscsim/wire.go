package smscsim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// SMPP framing limits. A PDU longer than maxPDULen, or shorter than its own
// header, means the stream is garbage: there is no way to find the next PDU.
const (
	headerLen = 16
	maxPDULen = 64 << 10
)

// errFraming reports a command_length outside headerLen..maxPDULen.
var errFraming = errors.New("smscsim: invalid command_length")

// readFrame reads one whole PDU (header and body) into buf, growing it as
// needed, and returns the frame. buf is reused for the next PDU, which is
// safe because gosmpp's Unmarshal copies everything it keeps.
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	buf = buf[:headerLen]
	if _, err := io.ReadFull(r, buf); err != nil {
		return buf, err
	}
	n := binary.BigEndian.Uint32(buf)
	if n < headerLen || n > maxPDULen {
		return buf, errFraming
	}
	if cap(buf) < int(n) {
		nb := make([]byte, n)
		copy(nb, buf[:headerLen])
		buf = nb
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf[headerLen:]); err != nil {
		return buf, err
	}
	return buf, nil
}

// header decodes the header of a frame of at least headerLen bytes.
func header(frame []byte) pdu.Header {
	var h [headerLen]byte
	copy(h[:], frame)
	return pdu.ParseHeader(h)
}

// newPDU returns an empty PDU for a command id, like
// pdu.CreatePDUFromCmdID, but never one that would panic on decode:
// gosmpp v0.3.1's NewQuerySM leaves the TLV map nil, so a query_sm carrying
// a TLV would write to a nil map.
func newPDU(id data.CommandIDType) (pdu.PDU, error) {
	p, err := pdu.CreatePDUFromCmdID(id)
	if q, ok := p.(*pdu.QuerySM); ok && q.OptionalParameters == nil {
		q.OptionalParameters = make(map[pdu.Tag]pdu.Field)
	}
	return p, err
}

// marshal encodes p with the given command_status. The status is patched
// into the encoded header because gosmpp's PDU interface has no setter for
// it.
func marshal(p pdu.PDU, status data.CommandStatusType) []byte {
	b := pdu.NewBuffer(make([]byte, 0, 64))
	p.Marshal(b)
	raw := b.Bytes()
	binary.BigEndian.PutUint32(raw[8:12], uint32(status))
	return raw
}

// genericNack encodes a generic_nack answering sequence number seq.
func genericNack(seq int32, status data.CommandStatusType) []byte {
	return headerOnly(data.GENERIC_NACK, status, seq)
}

// headerOnly encodes a PDU that has no body.
func headerOnly(id data.CommandIDType, status data.CommandStatusType, seq int32) []byte {
	b := make([]byte, headerLen)
	binary.BigEndian.PutUint32(b[0:], headerLen)
	binary.BigEndian.PutUint32(b[4:], uint32(id))
	binary.BigEndian.PutUint32(b[8:], uint32(status))
	binary.BigEndian.PutUint32(b[12:], uint32(seq))
	return b
}

// withSeq returns a copy of the encoded PDU raw with sequence number seq.
func withSeq(raw []byte, seq uint32) []byte {
	b := make([]byte, len(raw))
	copy(b, raw)
	binary.BigEndian.PutUint32(b[12:16], seq)
	return b
}
