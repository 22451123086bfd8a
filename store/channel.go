package store

import (
	"context"
	"database/sql"
	"strings"

	"smsgw/app"
)

const channelColumns = `id, name, host, port, system_id, password_enc, source_addr, tps, window, weight,
	carriers, standby, enabled, resend_undelivered, source_ton, source_npi, dest_ton, dest_npi, on_crash, created_at, updated_at`

// FindChannels returns every channel with its password decrypted, for the
// sending engine and for administrators.
func (db *DB) FindChannels(ctx context.Context) ([]*app.Channel, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	return db.findChannels(ctx, `1`)
}

// FindChannelByID returns one channel.
func (db *DB) FindChannelByID(ctx context.Context, id int64) (*app.Channel, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	list, err := db.findChannels(ctx, `id = ?`, id)
	if err != nil {
		return nil, err
	} else if len(list) == 0 {
		return nil, app.Errorf(app.ENOTFOUND, "通道不存在")
	}
	return list[0], nil
}

func (db *DB) findChannels(ctx context.Context, where string, args ...any) ([]*app.Channel, error) {
	rows, err := db.rdb.QueryContext(ctx, `select `+channelColumns+` from channels where `+where+` order by id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*app.Channel
	for rows.Next() {
		var c app.Channel
		var pw, carriers string
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Host, &c.Port, &c.SystemID, &pw, &c.SourceAddr, &c.TPS, &c.Window, &c.Weight,
			&carriers, &c.Standby, &c.Enabled, &c.ResendUndelivered, &c.SourceTON, &c.SourceNPI, &c.DestTON, &c.DestNPI,
			&c.OnCrash, &created, &updated); err != nil {
			return nil, err
		}
		if c.Password, err = db.box.open(pw); err != nil {
			return nil, err
		}
		for _, k := range strings.Split(carriers, ",") {
			if k != "" {
				c.Carriers = append(c.Carriers, app.Carrier(k))
			}
		}
		c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// CreateChannel validates and stores a channel, its password encrypted.
func (db *DB) CreateChannel(ctx context.Context, c *app.Channel) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if c.Weight == 0 {
		c.Weight = 1
	}
	if c.OnCrash == "" {
		c.OnCrash = app.OnCrashResend
	}
	if err := c.Validate(); err != nil {
		return err
	}
	pw, err := db.box.seal(c.Password)
	if err != nil {
		return err
	}
	c.CreatedAt = db.now()
	c.UpdatedAt = c.CreatedAt
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// A deleted channel's id is never given again: the engine keys a
		// channel's live state (bound, in flight) by its id.
		id, err := db.nextID(ctx, tx, "channels")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `insert into channels (id, name, host, port, system_id, password_enc, source_addr, tps, window, weight,
			carriers, standby, enabled, resend_undelivered, source_ton, source_npi, dest_ton, dest_npi, on_crash, created_at, updated_at)
			values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, c.Name, c.Host, c.Port, c.SystemID, pw, c.SourceAddr, c.TPS, c.Window, c.Weight, joinCarriers(c.Carriers),
			c.Standby, c.Enabled, c.ResendUndelivered, c.SourceTON, c.SourceNPI, c.DestTON, c.DestNPI, c.OnCrash,
			ms(c.CreatedAt), ms(c.UpdatedAt))
		if err != nil {
			return err
		}
		c.ID = id
		return nil
	})
}

// UpdateChannel replaces a channel's record; an empty password keeps the
// stored one, since the API never shows it.
func (db *DB) UpdateChannel(ctx context.Context, c *app.Channel) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if c.OnCrash == "" {
		c.OnCrash = app.OnCrashResend
	}
	if err := c.Validate(); err != nil {
		return err
	}
	pw, err := db.box.seal(c.Password)
	if err != nil {
		return err
	}
	c.UpdatedAt = db.now()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `update channels set name = ?, host = ?, port = ?, system_id = ?,
				password_enc = case when ? = '' then password_enc else ? end, source_addr = ?, tps = ?, window = ?,
				weight = ?, carriers = ?, standby = ?, enabled = ?, resend_undelivered = ?,
				source_ton = ?, source_npi = ?, dest_ton = ?, dest_npi = ?, on_crash = ?, updated_at = ?
			where id = ?`, c.Name, c.Host, c.Port, c.SystemID, pw, pw, c.SourceAddr, c.TPS, c.Window, c.Weight,
			joinCarriers(c.Carriers), c.Standby, c.Enabled, c.ResendUndelivered,
			c.SourceTON, c.SourceNPI, c.DestTON, c.DestNPI, c.OnCrash, ms(c.UpdatedAt), c.ID)
		if err != nil {
			return err
		} else if n, _ := r.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "通道不存在")
		}
		return nil
	})
}

// DeleteChannel removes a channel record. Messages it sent keep its id.
func (db *DB) DeleteChannel(ctx context.Context, id int64) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Held messages are released or failed through their channel: with
		// it gone they would wait for a decision nobody can make.
		var held int
		if err := tx.QueryRowContext(ctx, `select count(*) from messages where status = 'held' and placed_on = ?`, id).Scan(&held); err != nil {
			return err
		} else if held > 0 {
			e := app.Errorf(app.ECONFLICT, "通道还有%d条暂扣待定的短信，请先重发或置为失败再删除", held)
			e.Details = map[string]any{"held": held}
			return e
		}
		r, err := tx.ExecContext(ctx, `delete from channels where id = ?`, id)
		if err != nil {
			return err
		} else if n, _ := r.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "通道不存在")
		}
		return nil
	})
}

func joinCarriers(cs []app.Carrier) string {
	s := make([]string, len(cs))
	for i, k := range cs {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}
