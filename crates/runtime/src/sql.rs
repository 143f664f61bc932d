//! A query with numbered `$N` placeholders for dynamic filters. sqlx's `QueryBuilder`
//! emits `?` under `Any`, which PostgreSQL refuses; this emits `$N`, which both accept.
//! Statements with hundreds of parameters on SQLite use `?` instead ([`Sql::for_backend`]):
//! binding a `$N` parameter looks its name up in a list as long as the parameter count,
//! which made large multi-row INSERTs quadratic.

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments as _, Encode, Type};

use crate::db::Backend;

/// SQL text plus its bound arguments.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: AnyArguments,
    count: usize,
    question_marks: bool,
}

impl std::fmt::Debug for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sql")
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl Sql {
    /// Starts with `text`.
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            ..Self::default()
        }
    }

    /// Starts with `text`, with the placeholder style that is fastest on `backend`.
    pub fn for_backend(backend: Backend, text: &str) -> Self {
        Self {
            question_marks: backend == Backend::Sqlite,
            ..Self::new(text)
        }
    }

    /// Appends literal SQL (never user input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        self.count += 1;
        if self.question_marks {
            self.text.push('?');
        } else {
            self.text.push('$');
            self.text.push_str(&self.count.to_string());
        }
        // Encoding into AnyArguments only fails for types Any cannot carry, which the
        // bound above rules out.
        let _ = self.args.add(value);
        self
    }

    /// The SQL text built so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// A query ready to run.
    pub fn query(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        sqlx::query_with(sqlx::AssertSqlSafe(self.text), self.args)
    }

    /// A typed query ready to run.
    pub fn query_as<O>(self) -> sqlx::query::QueryAs<'static, Any, O, AnyArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(sqlx::AssertSqlSafe(self.text), self.args)
    }
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Cursor of the next page, if any.
    pub next: Option<String>,
}

/// Appends keyset pagination on `id_col` and the limit (one extra row tells whether a
/// next page exists).
pub fn push_page(sql: &mut Sql, id_col: &str, after: Option<&str>, size: i64) {
    if let Some(after) = after {
        sql.push(&format!(" AND {id_col} > "))
            .bind(after.to_owned());
    }
    sql.push(&format!(" ORDER BY {id_col} LIMIT "))
        .bind(size + 1);
}

/// Cuts the extra row off and returns the page.
pub fn into_page<T>(mut items: Vec<T>, size: i64, id: impl Fn(&T) -> String) -> Page<T> {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let next = if items.len() > size {
        items.truncate(size);
        items.last().map(id)
    } else {
        None
    };
    Page { items, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(1_i64).push(" AND b = ").bind("x".to_owned());
        assert_eq!(sql.text(), "SELECT 1 WHERE a = $1 AND b = $2");
        let mut sql = Sql::for_backend(Backend::Sqlite, "VALUES (");
        sql.bind(1_i64).push(", ").bind(2_i64).push(")");
        assert_eq!(sql.text(), "VALUES (?, ?)");
    }
}
