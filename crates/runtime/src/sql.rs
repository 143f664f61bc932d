//! A query with numbered `$N` placeholders for dynamic filters. sqlx's `QueryBuilder`
//! emits `?` under `Any`, which PostgreSQL refuses; this emits `$N`, which both accept.
//! Statements with hundreds of parameters on SQLite use `?` instead ([`Sql::for_backend`]):
//! binding a `$N` parameter looks its name up in a list as long as the parameter count,
//! which made large multi-row INSERTs quadratic.

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments as _, Encode, Type};

use crate::catalogue::Noun;
use crate::db::Backend;
use crate::error::{Error, ServiceCases};
use sqlx::AnyPool;

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

/// A table a store reads one row of by key, and in keyset pages, under the caller's
/// scope. Implemented by each record type.
pub trait Table: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin {
    /// The table (with an alias, if filters use one), e.g. `units u`.
    const FROM: &'static str;
    /// The columns read.
    const COLUMNS: &'static str;
    /// The key column, for lookups and keyset order, e.g. `u.id`.
    const KEY: &'static str;
    /// What NOT_FOUND names.
    const NOUN: &'static Noun;
    /// The collection of its resource names, e.g. `units`.
    const COLLECTION: &'static str;

    /// This row's key.
    fn key(&self) -> String;
}

/// Implements [`Table`] for a record type:
/// `table!(UnitRecord, from: "units u", columns: UNIT_COLUMNS, key: "u.id" => id,
/// noun: &msg::UNIT, collection: "units");`
#[macro_export]
macro_rules! table {
    ($record:ty, from: $from:expr, columns: $columns:expr, key: $key:literal => $field:ident,
     noun: $noun:expr, collection: $collection:literal) => {
        impl $crate::sql::Table for $record {
            const FROM: &'static str = $from;
            const COLUMNS: &'static str = $columns;
            const KEY: &'static str = $key;
            const NOUN: &'static $crate::catalogue::Noun = $noun;
            const COLLECTION: &'static str = $collection;

            fn key(&self) -> String {
                self.$field.clone()
            }
        }
    };
}

/// The row of `T` keyed `key` that `filter` (the caller's scope) lets through, or
/// NOT_FOUND naming `{collection}/{key}` (absent and out of scope alike).
pub async fn get_scoped<T: Table, S: ServiceCases>(
    pool: &AnyPool,
    key: &str,
    filter: impl FnOnce(&mut Sql),
) -> Result<T, Error<S>> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {} WHERE {} = ",
        T::COLUMNS,
        T::FROM,
        T::KEY
    ));
    sql.bind(key.to_owned());
    filter(&mut sql);
    sql.query_as::<T>()
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::not_found(T::NOUN, format!("{}/{key}", T::COLLECTION)))
}

/// One keyset page of `T` after `after`, of the rows `filter` (scope and filters, each
/// appended as ` AND …`) lets through.
pub async fn list_scoped<T: Table>(
    pool: &AnyPool,
    filter: impl FnOnce(&mut Sql),
    after: Option<&str>,
    size: i64,
) -> Result<Page<T>, sqlx::Error> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {} WHERE 1 = 1",
        T::COLUMNS,
        T::FROM
    ));
    filter(&mut sql);
    push_page(&mut sql, T::KEY, after, size);
    let rows = sql.query_as::<T>().fetch_all(pool).await?;
    Ok(into_page(rows, size, T::key))
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
