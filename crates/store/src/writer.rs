//! Group commit for case creation.
//!
//! One task owns one connection. Concurrent `create_case` calls queue up while the previous batch
//! is being committed; the next batch takes all of them into one transaction and one fsync. Each
//! caller is answered only after the commit returns, so an acknowledged case is durable. If the
//! batch fails, its cases are retried one per transaction, so one bad case fails alone.

use tokio::sync::{mpsc, oneshot};

use crate::types::{CaseCreated, NewCase};
use crate::{Error, queries};

/// The most cases committed in one transaction.
const MAX_BATCH: usize = 512;

struct Job {
    new: NewCase,
    reply: oneshot::Sender<Result<CaseCreated, Error>>,
}

#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

macro_rules! writer_loop {
    ($pool:expr, $q:ident) => {{
        let pool = $pool;
        let (jobs, mut receiver) = mpsc::channel::<Job>(4 * MAX_BATCH);
        let mut conn = pool.acquire().await?;
        tokio::spawn(async move {
            let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
            while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let now = crate::now();
                let committed: Result<Vec<CaseCreated>, Error> = async {
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    let news: Vec<&NewCase> = batch.iter().map(|job| &job.new).collect();
                    let created = queries::$q::insert_case_batch(&mut tx, &news, now).await?;
                    tx.commit().await?;
                    Ok(created)
                }
                .await;
                match committed {
                    Ok(created) => {
                        for (job, created) in batch.drain(..).zip(created) {
                            let _ = job.reply.send(Ok(created));
                        }
                    }
                    Err(_) if !connection_alive(&mut *conn).await => {
                        // The connection broke (a database restart): answer this batch with an
                        // error, nothing of it was committed, and reconnect for the next one.
                        for job in batch.drain(..) {
                            let _ = job.reply.send(Err(Error::Rule("the database connection was lost; retry".into())));
                        }
                        match pool.acquire().await {
                            Ok(fresh) => conn = fresh,
                            Err(err) => tracing::error!(error = %err, "case writer cannot reconnect"),
                        }
                    }
                    Err(_) if batch.len() > 1 => {
                        // Find the bad case(s): commit each on its own.
                        for job in batch.drain(..) {
                            let single: Result<CaseCreated, Error> = async {
                                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                                let created = queries::$q::insert_case(&mut tx, &job.new, now).await?;
                                tx.commit().await?;
                                Ok(created)
                            }
                            .await;
                            let _ = job.reply.send(single);
                        }
                    }
                    Err(err) => {
                        for job in batch.drain(..) {
                            let _ = job.reply.send(Err(Error::Rule(err.to_string())));
                        }
                    }
                }
            }
        });
        Ok(Writer { jobs })
    }};
}

async fn connection_alive<C: sqlx::Connection>(conn: &mut C) -> bool {
    conn.ping().await.is_ok()
}

impl Writer {
    pub(crate) async fn sqlite(pool: sqlx::SqlitePool) -> Result<Writer, Error> {
        writer_loop!(pool, sqlite)
    }

    pub(crate) async fn postgres(pool: sqlx::PgPool) -> Result<Writer, Error> {
        writer_loop!(pool, postgres)
    }

    pub(crate) async fn create_case(&self, new: NewCase) -> Result<CaseCreated, Error> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { new, reply })
            .await
            .map_err(|_| Error::Rule("the case writer has stopped".into()))?;
        answer.await.map_err(|_| Error::Rule("the case writer has stopped".into()))?
    }
}
