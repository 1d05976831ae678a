//! Workers' leases: a worker counts as alive until its `workers.lease_until`, which a heartbeat
//! thread renews every third of the lease until the ledger is dropped.
//!
//! Phase: the whole life of a [`super::PgLedger`] opened for a worker. A renewal that fails
//! (the server is away) is retried at the next beat, on a fresh pooled connection. A renewal
//! that finds the lease already run out (the worker was stopped, or could not reach the server
//! for a whole lease) aborts this worker's runs that had not committed, in the same
//! transaction: other workers may have claimed their files meanwhile, so their commits must
//! fail with [`super::super::Error::Lost`] rather than count twice.

use super::{Manager, db_err};
use crate::ledger::Result;
use postgres::GenericClient;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Upserts the worker's lease: alive for `lease` from now (the server's clock).
pub(super) fn renew(db: &mut impl GenericClient, worker: &str, lease: Duration) -> Result<()> {
    db.execute(
        "INSERT INTO workers (id, lease_until)
            VALUES ($1, clock_timestamp() + make_interval(secs => $2))
         ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until",
        &[&worker, &lease.as_secs_f64()],
    )
    .map_err(db_err("renew the worker's lease"))?;
    Ok(())
}

/// One beat: in one transaction, abort the worker's uncommitted runs if its lease ran out,
/// then renew it.
fn beat(db: &mut postgres::Client, worker: &str, lease: Duration) -> Result<()> {
    let mut tx = db
        .transaction()
        .map_err(db_err("renew the worker's lease"))?;
    let alive = tx
        .query_opt(
            "SELECT lease_until > clock_timestamp() FROM workers WHERE id = $1 FOR UPDATE",
            &[&worker],
        )
        .map_err(db_err("renew the worker's lease"))?
        .is_some_and(|r| r.get::<_, bool>(0));
    if !alive {
        let lost = tx
            .query(
                "UPDATE runs SET status = 'aborted'
                 WHERE worker = $1 AND status = 'started' RETURNING id",
                &[&worker],
            )
            .map_err(db_err("abort the runs of a lapsed lease"))?;
        let ids: Vec<i64> = lost.iter().map(|r| r.get(0)).collect();
        tx.execute("DELETE FROM claims WHERE run = ANY($1)", &[&ids])
            .map_err(db_err("abort the runs of a lapsed lease"))?;
        if !ids.is_empty() {
            tracing::warn!(
                worker,
                runs = ?ids,
                "the worker's lease ran out; its uncommitted runs were aborted"
            );
        }
    }
    renew(&mut tx, worker, lease)?;
    tx.commit().map_err(db_err("renew the worker's lease"))
}

/// The heartbeat thread; dropping it stops the thread and waits for it.
pub(super) struct Heartbeat {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    pub(super) fn start(
        pool: r2d2::Pool<Manager>,
        worker: String,
        lease: Duration,
    ) -> std::io::Result<Heartbeat> {
        let (stop, stopped) = mpsc::channel::<()>();
        let every = (lease / 3).max(Duration::from_millis(10));
        let thread = std::thread::Builder::new()
            .name("ledger-heartbeat".into())
            .spawn(move || {
                let mut conn = pool.get_timeout(every).ok();
                // A message or the sender's drop both mean stop.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if conn.is_none() {
                        conn = pool.get_timeout(every).ok();
                    }
                    let Some(c) = conn.as_mut() else {
                        tracing::warn!(worker, "cannot reach the ledger to renew the lease");
                        continue;
                    };
                    if let Err(e) = beat(c, &worker, lease) {
                        tracing::warn!(worker, error = %e, "cannot renew the worker's lease");
                        // Maybe the connection broke: the next beat takes a fresh one.
                        conn = None;
                    }
                }
            })?;
        Ok(Heartbeat {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
