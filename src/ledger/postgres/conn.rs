//! The connections the ledger's queries go through: pooled, each with its prepared statements
//! (one round trip per query instead of two), keyed by their text.

use super::Manager;
use postgres::types::ToSql;
use postgres::{Row, Statement};
use std::collections::HashMap;

/// A pooled connection with its prepared statements (one round trip per query instead of two).
pub(super) struct Conn {
    pub(super) client: r2d2::PooledConnection<Manager>,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    pub(super) fn new(client: r2d2::PooledConnection<Manager>) -> Conn {
        Conn {
            client,
            statements: HashMap::new(),
        }
    }

    pub(super) fn statement(
        &mut self,
        sql: &'static str,
    ) -> std::result::Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    pub(super) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Vec<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query(&s, params)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Option<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query_opt(&s, params)
    }

    pub(super) fn query_one(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Row, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query_one(&s, params)
    }

    pub(super) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<u64, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.execute(&s, params)
    }

    pub(super) fn batch(&mut self, sql: &str) -> std::result::Result<(), postgres::Error> {
        self.client.batch_execute(sql)
    }
}
