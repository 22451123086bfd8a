package store

import (
	"strings"
	"testing"
	"time"
)

func TestParseReplicaConfig(t *testing.T) {
	t.Setenv("SMSGW_TEST_SECRET", "s3cret")
	t.Setenv("LITESTREAM_ACCESS_KEY_ID", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("LITESTREAM_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	tests := []struct {
		name, yaml string
		want       ReplicaConfig
		err        string
	}{
		{name: "file", yaml: "dbs:\n  - replica:\n      type: file\n      path: /backup\n",
			want: ReplicaConfig{Type: "file", Path: "/backup", SyncInterval: 500 * time.Millisecond, SnapshotInterval: 24 * time.Hour, SnapshotRetention: 72 * time.Hour}},
		{name: "s3 with env credentials and intervals",
			yaml: "access-key-id: AK\nsecret-access-key: ${SMSGW_TEST_SECRET}\nsnapshot:\n  interval: 1h\n  retention: 48h\n" +
				"dbs:\n  - path: /d/smsgw.db\n    replicas:\n      - type: s3\n        bucket: b\n        path: p\n        endpoint: http://minio:9000\n        force-path-style: true\n        sync-interval: 500ms\n",
			want: ReplicaConfig{DBPath: "/d/smsgw.db", Type: "s3", Bucket: "b", Path: "p", Endpoint: "http://minio:9000", Region: "us-east-1",
				ForcePathStyle: true, AccessKeyID: "AK", SecretAccessKey: "s3cret", SyncInterval: 500 * time.Millisecond,
				SnapshotInterval: time.Hour, SnapshotRetention: 48 * time.Hour}},
		{name: "misspelt key", yaml: "dbs:\n  - replica:\n      type: file\n      pth: /backup\n", err: "field pth not found"},
		{name: "no dbs", yaml: "snapshot:\n  interval: 1h\n", err: "no dbs entry"},
		{name: "no replica", yaml: "dbs:\n  - path: /x\n", err: "needs one replica"},
		{name: "two replicas", yaml: "dbs:\n  - replicas:\n      - type: file\n        path: /a\n      - type: file\n        path: /b\n", err: "one replica per database"},
		{name: "unknown type", yaml: "dbs:\n  - replica:\n      type: gcs\n      bucket: b\n", err: `"gcs" not supported`},
		{name: "s3 without bucket", yaml: "dbs:\n  - replica:\n      type: s3\n", err: "needs bucket"},
		{name: "s3 without credentials", yaml: "dbs:\n  - replica:\n      type: s3\n      bucket: b\n", err: "needs credentials"},
		{name: "file without path", yaml: "dbs:\n  - replica:\n      type: file\n", err: "needs path"},
		{name: "bad duration", yaml: "dbs:\n  - replica:\n      type: file\n      path: /b\n      sync-interval: soon\n", err: "soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseReplicaConfig([]byte(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v; want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if strings.Contains(got.String(), "s3cret") || strings.Contains(got.String(), "AK") {
				t.Errorf("String() shows credentials: %s", got)
			}
		})
	}
}
