// Package smscsim is an SMPP 3.4 SMSC simulator, the server side of the
// protocol. It is the project's test carrier, demo carrier and benchmark
// carrier: clients bind to it over TCP, submit messages, and get delivery
// receipts and injected mobile-originated (MO) messages back.
//
// Behaviour that a real carrier shows only when something goes wrong can be
// switched on at will, also while clients are connected (SetOptions or the
// HTTP control endpoint): throttling, system errors, undeliverable receipts,
// a TPS cap, receipts that overtake their submit_sm_resp, and dropped
// connections. Receipts are never lost: one that is not acknowledged by a
// deliver_sm_resp goes back to a pending queue and is delivered again when a
// client (re)binds.
//
// The wire format comes from github.com/linxGnu/gosmpp/pdu; everything that
// is specific to a server (framing, sessions, windows, routing) lives here.
package smscsim
