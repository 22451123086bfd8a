package store

import (
	"context"
	"database/sql"
	"strconv"

	"smsgw/app"
)

// querier is what both *sql.DB and *sql.Tx offer for reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// selectColumn returns the one column query selects, as T, in its order.
func selectColumn[T any](ctx context.Context, q querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// idCursor reads a listing's cursor: the last id of the page before, ok
// false when there is none. Listings go by id, newest first, so a cursor
// never skips or repeats a row while new ones arrive.
func idCursor(cursor string) (id int64, ok bool, err error) {
	if cursor == "" {
		return 0, false, nil
	}
	id, err = strconv.ParseInt(cursor, 10, 64)
	if err != nil {
		return 0, false, app.FieldError("cursor", "无效的 cursor")
	}
	return id, true, nil
}

// idPage cuts a listing read with limit+1 rows down to limit, and answers
// the next page's cursor ("" at the end).
func idPage[T any](out []T, limit int, id func(T) int64) ([]T, string) {
	if len(out) <= limit {
		return out, ""
	}
	out = out[:limit]
	return out, strconv.FormatInt(id(out[limit-1]), 10)
}
