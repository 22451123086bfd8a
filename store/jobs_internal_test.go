package store

import (
	"reflect"
	"testing"
)

func TestJobBodiesFor(t *testing.T) {
	tests := []struct {
		name   string
		ranges []idRange
		want   []jobBody
	}{
		{"single sends in one commit make one job", []idRange{{1, 1}, {2, 2}, {3, 3}}, []jobBody{{From: 1, To: 3}}},
		{"a scheduled send between stays out", []idRange{{1, 1}, {3, 3}}, []jobBody{{From: 1, To: 1}, {From: 3, To: 3}}},
		{"cut at the job size", []idRange{{1, 150}, {151, 450}}, []jobBody{{From: 1, To: 200}, {From: 201, To: 400}, {From: 401, To: 450}}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jobBodiesFor(tt.ranges); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
