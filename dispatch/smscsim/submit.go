package smscsim

import (
	"time"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// submit answers one submit_sm: throttled, failed or accepted with an id,
// recorded, and with its receipt scheduled if one was asked for.
func (c *session) submit(req *pdu.SubmitSM, frame []byte) {
	srv := c.srv
	srv.counters.submitSM.Add(1)
	resp := req.GetResponse().(*pdu.SubmitSMResp)
	if !(c.mode == transmitter || c.mode == transceiver) {
		c.send(marshal(resp, data.ESME_RINVBNDSTS))
		return
	}
	cfg := srv.cfg.Load()
	switch {
	case cfg.limiter != nil && !cfg.limiter.Allow(),
		cfg.ThrottleRatio > 0 && c.rng.Float64() < cfg.ThrottleRatio:
		srv.counters.throttled.Add(1)
		c.send(marshal(resp, data.ESME_RTHROTTLED))
		return
	case cfg.ErrorRatio > 0 && c.rng.Float64() < cfg.ErrorRatio:
		srv.counters.errors.Add(1)
		c.send(marshal(resp, data.ESME_RSYSERR))
		return
	case cfg.SubmitStatus != nil:
		if status := cfg.SubmitStatus(req.DestAddr.Address()); status != 0 {
			srv.counters.errors.Add(1)
			c.send(marshal(resp, data.CommandStatusType(status)))
			return
		}
	}
	if cfg.PartStatus != nil {
		_, udh, _ := submitPart(req, frame)
		if status := cfg.PartStatus(req.DestAddr.Address(), udh); status != 0 {
			if status == uint32(data.ESME_RTHROTTLED) {
				srv.counters.throttled.Add(1)
			} else {
				srv.counters.errors.Add(1)
			}
			c.send(marshal(resp, data.CommandStatusType(status)))
			return
		}
	}

	now := time.Now()
	sub := Submitted{
		MessageID:          srv.nextID(),
		Source:             req.SourceAddr.Address(),
		Dest:               req.DestAddr.Address(),
		SourceTON:          req.SourceAddr.Ton(),
		SourceNPI:          req.SourceAddr.Npi(),
		DestTON:            req.DestAddr.Ton(),
		DestNPI:            req.DestAddr.Npi(),
		EsmClass:           req.EsmClass,
		RegisteredDelivery: req.RegisteredDelivery,
		At:                 now,
	}
	sub.DataCoding, sub.UDH, sub.Text = submitPart(req, frame)
	unique, complete, sameRef := srv.rec.add(&sub)
	// Counters move before the response is queued, so a client that has
	// its submit_sm_resp always finds them up to date.
	srv.counters.accepted.Add(1)
	if unique {
		srv.counters.unique.Add(1)
	} else {
		srv.counters.duplicates.Add(1)
	}
	if sameRef {
		srv.counters.sameRef.Add(1)
	}
	if complete {
		srv.counters.messages.Add(1)
	}
	resp.MessageID = sub.MessageID
	raw := marshal(resp, data.ESME_ROK)

	delay := max(cfg.ReceiptDelay, 0)
	if cfg.ReceiptBeforeResp {
		delay = 0
	}
	if sub.RegisteredDelivery&0x03 == 0 {
		srv.states.put(sub.MessageID, partState{data.SM_STATE_DELIVERED, now.Add(delay)})
		c.send(raw)
		return
	}
	stat := c.receiptStatus(cfg, sub)
	_, state, _ := receiptCodes(stat)
	srv.states.put(sub.MessageID, partState{state, now.Add(delay)})
	if cfg.DropReceipts || !wantsReceipt(sub.RegisteredDelivery, stat) {
		c.send(raw)
		return
	}
	job := &receiptJob{
		id:       sub.MessageID,
		src:      req.DestAddr,
		dst:      req.SourceAddr,
		stat:     stat,
		text:     receiptText(sub.Text),
		submit:   now,
		systemID: c.systemID,
		origin:   c,
	}
	switch {
	case cfg.ReceiptBeforeResp:
		d := job.delivery(now)
		if early := srv.dl.sendNow(c, d); early != nil {
			c.send(early)
			c.send(raw)
			return
		}
		// This session cannot receive: deliver at once elsewhere.
		c.send(raw)
		srv.dl.routeAll([]*delivery{d})
	case cfg.ReceiptDelay <= 0:
		// After the response, which the writer sends before deliveries.
		c.send(raw)
		srv.dl.routeAll([]*delivery{job.delivery(now)})
	default:
		c.send(raw)
		srv.sched.pushJob(now.Add(cfg.ReceiptDelay), job)
	}
}
