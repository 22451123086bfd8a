package app

import "time"

// ReplicationState is what /healthz and the logs say about the streaming of
// the database to its replica (Litestream).
type ReplicationState struct {
	Replica     string    `json:"replica"`      // "file:/backup/smsgw" or "s3://bucket/path", never credentials
	LocalTXID   uint64    `json:"local_txid"`   // last transaction written here
	ReplicaTXID uint64    `json:"replica_txid"` // last transaction the replica holds
	LastSync    time.Time `json:"last_sync"`    // last successful upload; zero before the first
	LagSeconds  float64   `json:"lag_seconds"`  // how long the replica has been behind; 0 when in step
	Error       string    `json:"error,omitempty"`
	Healthy     bool      `json:"healthy"` // in step or catching up within ReplicationLagLimit, no error
}

// ReplicationLagLimit is how far behind the replica may fall before health
// reports it: the default sync takes about 2 s.
const ReplicationLagLimit = 10 * time.Second

// ReplicationMonitor reports the replication state.
type ReplicationMonitor interface {
	ReplicationState() ReplicationState
}
