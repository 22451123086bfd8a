package smpp

import (
	"github.com/linxGnu/gosmpp/data"

	"smsgw/app"
)

// Status is the command_status of an SMSC's answer to a submit. The
// channel decides what each kind of answer does to the message and to its
// sending rate; this type only says which kind it is.
type Status uint32

// StatusThrottled is ESME_RTHROTTLED: the SMSC wants us to send more
// slowly.
const StatusThrottled = Status(data.ESME_RTHROTTLED)

// OK reports whether the SMSC took the message.
func (s Status) OK() bool { return s == Status(data.ESME_ROK) }

// Throttled reports whether the SMSC refused because we send too fast.
func (s Status) Throttled() bool { return s == StatusThrottled }

// Transient reports whether the refusal is worth a retry: the SMSC is
// busy or failing for now, not refusing this message for good.
func (s Status) Transient() bool {
	switch data.CommandStatusType(s) {
	case data.ESME_RTHROTTLED, data.ESME_RMSGQFUL, data.ESME_RSYSERR, data.ESME_RSUBMITFAIL, data.ESME_RX_T_APPN:
		return true
	}
	return false
}

// Code is the status as a message's outcome code (app.SMPPCode's form).
func (s Status) Code() string { return app.SMPPCode(uint32(s)) }
