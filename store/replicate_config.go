package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// ReplicaConfig is the replication part of litestream.yml, in Litestream's own
// keys, for the one database smsgw has.
type ReplicaConfig struct {
	DBPath string // dbs[0].path as written; empty means DATA/smsgw.db

	Type string // "file" or "s3"
	// Path is the folder of a file replica, or the key prefix in the bucket.
	Path                         string
	Bucket, Endpoint, Region     string
	ForcePathStyle, SkipVerify   bool
	AccessKeyID, SecretAccessKey string

	SyncInterval      time.Duration // upload every (default 500ms)
	SnapshotInterval  time.Duration // full snapshot every (default 24h)
	SnapshotRetention time.Duration // keep history for point-in-time restore (default 72h)

	// NewReplica lets Replicate start a new history over a replica that
	// holds a later state than the database (or another database's): not
	// from litestream.yml, from serve's --new-replica.
	NewReplica bool
}

type yamlReplica struct {
	Type            string        `yaml:"type"`
	Path            string        `yaml:"path"`
	Bucket          string        `yaml:"bucket"`
	Endpoint        string        `yaml:"endpoint"`
	Region          string        `yaml:"region"`
	ForcePathStyle  bool          `yaml:"force-path-style"`
	SkipVerify      bool          `yaml:"skip-verify"`
	AccessKeyID     string        `yaml:"access-key-id"`
	SecretAccessKey string        `yaml:"secret-access-key"`
	SyncInterval    time.Duration `yaml:"sync-interval"`
}

type yamlConfig struct {
	AccessKeyID     string `yaml:"access-key-id"`
	SecretAccessKey string `yaml:"secret-access-key"`
	Snapshot        struct {
		Interval  time.Duration `yaml:"interval"`
		Retention time.Duration `yaml:"retention"`
	} `yaml:"snapshot"`
	DBs []struct {
		Path     string        `yaml:"path"`
		Replica  *yamlReplica  `yaml:"replica"`
		Replicas []yamlReplica `yaml:"replicas"`
	} `yaml:"dbs"`
}

// LoadReplicaConfig reads a litestream.yml. ${VAR} references are expanded
// from the environment, as Litestream does, so credentials stay out of the
// file; without keys in the file, LITESTREAM_ACCESS_KEY_ID/SECRET_ACCESS_KEY
// or AWS_ACCESS_KEY_ID/SECRET_ACCESS_KEY are used. Unknown keys are errors,
// so a misspelt key is not silently ignored.
func LoadReplicaConfig(path string) (ReplicaConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ReplicaConfig{}, err
	}
	cfg, err := parseReplicaConfig(raw)
	if err != nil {
		return ReplicaConfig{}, fmt.Errorf("%s: %w", path, err)
	}
	// Relative paths are relative to the config file, as in Litestream.
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return ReplicaConfig{}, err
	}
	if cfg.Type == "file" && !filepath.IsAbs(cfg.Path) {
		cfg.Path = filepath.Join(base, cfg.Path)
	}
	if cfg.DBPath != "" && !filepath.IsAbs(cfg.DBPath) {
		cfg.DBPath = filepath.Join(base, cfg.DBPath)
	}
	return cfg, nil
}

func parseReplicaConfig(raw []byte) (ReplicaConfig, error) {
	var y yamlConfig
	dec := yaml.NewDecoder(bytes.NewReader([]byte(os.ExpandEnv(string(raw)))))
	dec.KnownFields(true)
	if err := dec.Decode(&y); err != nil {
		return ReplicaConfig{}, fmt.Errorf("litestream config: %w", err)
	}
	if len(y.DBs) == 0 {
		return ReplicaConfig{}, errors.New("litestream config: no dbs entry")
	}
	db := y.DBs[0]
	r := db.Replica
	switch {
	case len(db.Replicas) > 1 || (r != nil && len(db.Replicas) > 0):
		return ReplicaConfig{}, errors.New("litestream config: one replica per database")
	case len(db.Replicas) == 1:
		r = &db.Replicas[0]
	case r == nil:
		return ReplicaConfig{}, errors.New("litestream config: dbs[0] needs one replica")
	}
	cfg := ReplicaConfig{
		DBPath: db.Path, Type: r.Type, Path: r.Path, Bucket: r.Bucket, Endpoint: r.Endpoint, Region: r.Region,
		ForcePathStyle: r.ForcePathStyle, SkipVerify: r.SkipVerify,
		AccessKeyID: first(r.AccessKeyID, y.AccessKeyID, os.Getenv("LITESTREAM_ACCESS_KEY_ID"), os.Getenv("AWS_ACCESS_KEY_ID")),
		SecretAccessKey: first(r.SecretAccessKey, y.SecretAccessKey,
			os.Getenv("LITESTREAM_SECRET_ACCESS_KEY"), os.Getenv("AWS_SECRET_ACCESS_KEY")),
		SyncInterval: r.SyncInterval, SnapshotInterval: y.Snapshot.Interval, SnapshotRetention: y.Snapshot.Retention,
	}
	return cfg, cfg.validate()
}

func (c *ReplicaConfig) validate() error {
	if c.SyncInterval == 0 {
		c.SyncInterval = 500 * time.Millisecond
	}
	if c.SnapshotInterval == 0 {
		c.SnapshotInterval = 24 * time.Hour
	}
	if c.SnapshotRetention == 0 {
		c.SnapshotRetention = 72 * time.Hour
	}
	if c.SyncInterval < 0 || c.SnapshotInterval < 0 || c.SnapshotRetention < 0 {
		return errors.New("litestream config: intervals must be positive")
	}
	switch c.Type {
	case "file":
		if c.Path == "" {
			return errors.New("litestream config: a file replica needs path (the backup folder)")
		}
	case "s3":
		if c.Bucket == "" {
			return errors.New("litestream config: an s3 replica needs bucket")
		}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return errors.New("litestream config: an s3 replica needs credentials: set LITESTREAM_ACCESS_KEY_ID and LITESTREAM_SECRET_ACCESS_KEY")
		}
		if c.Region == "" {
			c.Region = "us-east-1"
		}
	case "":
		return errors.New("litestream config: replica type missing (file or s3)")
	default:
		return fmt.Errorf("litestream config: replica type %q not supported (file or s3)", c.Type)
	}
	return nil
}

// String names the replica without credentials.
func (c ReplicaConfig) String() string {
	if c.Type == "s3" {
		s := "s3://" + c.Bucket + "/" + c.Path
		if c.Endpoint != "" {
			s += " at " + c.Endpoint
		}
		return s
	}
	return "file:" + c.Path
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
