//! `civicline bench`: performance figures, measured end to end.
//!
//! `bench cases` starts a real server on 127.0.0.1 (SQLite in a temporary directory, or the
//! PostgreSQL given), then runs concurrent keep-alive HTTP/1.1 clients against it: first case
//! creations, then case reads. It reports requests per second with p50 and p99 latency, and, on
//! SQLite, the rate of raw single-row durable transactions for comparison. The load generator
//! shares the machine with the server, so the figures are a floor.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Case creation and reads over HTTP.
    Cases {
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Seconds per phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Benchmark on this PostgreSQL instead of SQLite (the database must be empty or a
        /// civicline one).
        #[arg(long)]
        database_url: Option<String>,
    },
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Cases { clients, seconds, database_url } => cases(clients, seconds, database_url).await,
    }
}

/// A minimal keep-alive HTTP/1.1 client: enough for measuring, with no dependency.
struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    async fn open(addr: std::net::SocketAddr) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(addr).await.context("connect")?;
        stream.set_nodelay(true).context("set nodelay")?;
        Ok(Connection { stream: BufReader::new(stream), host: addr.to_string() })
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &[u8],
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).context("status line")?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().context("content-length")?;
                }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok((status, body))
    }
}

struct Phase {
    name: &'static str,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Phase {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)]
    }

    fn report(&self) -> String {
        format!(
            "{:<16} {:>8} req  {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}",
            self.name,
            self.requests,
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
            self.errors
        )
    }
}

/// Runs `clients` loops for `seconds`, each calling `make_request(client, i)`.
async fn phase<F>(
    name: &'static str,
    addr: std::net::SocketAddr,
    clients: usize,
    seconds: u64,
    token: &str,
    make_request: F,
) -> anyhow::Result<Phase>
where
    F: Fn(usize, usize) -> (&'static str, String, Vec<u8>) + Send + Sync + Clone + 'static,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let token = token.to_owned();
        let make_request = make_request.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(addr).await?;
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut i = 0;
            while Instant::now() < deadline {
                let (method, path, body) = make_request(client, i);
                let sent = Instant::now();
                let (status, _) = connection.request(method, &path, &token, &body).await?;
                latencies.push(sent.elapsed());
                if !(200..300).contains(&status) {
                    errors += 1;
                }
                i += 1;
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, task_errors) = task.await.context("join client")??;
        all.extend(latencies);
        errors += task_errors;
    }
    let elapsed = started.elapsed();
    all.sort();
    Ok(Phase { name, requests: all.len(), errors, elapsed, latencies: all })
}

#[allow(clippy::print_stdout)] // The figures are the command's output.
async fn cases(clients: usize, seconds: u64, database_url: Option<String>) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("civicline-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("create bench directory")?;
    let mut file = crate::config::ConfigFile::default();
    file.server.listen = "127.0.0.1:0".into();
    file.server.data_dir = dir.clone();
    file.server.database_url = database_url;
    let config = crate::config::Config::parse_and_validate(file, None).context("bench configuration")?;
    let database = match &config.database {
        store::Location::SqliteFile(_) => "sqlite",
        store::Location::Postgres(_) => "postgres",
    };
    let sqlite_path = match &config.database {
        store::Location::SqliteFile(path) => Some(path.clone()),
        store::Location::Postgres(_) => None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("bind")?;
    let shutdown = CancellationToken::new();
    let running = crate::serve::start(config, listener, shutdown.clone()).await?;
    let addr = running.http_addr;

    let mut connection = Connection::open(addr).await?;
    let login = format!(r#"{{"username":"agent","password":"{}"}}"#, crate::demo::DEMO_PASSWORD);
    let (status, body) = connection.request("POST", "/api/v1/auth/login", "", login.as_bytes()).await?;
    if status != 200 {
        bail!("demo login failed with {status}; the bench needs a fresh database with the demo");
    }
    let body: serde_json::Value = serde_json::from_slice(&body).context("login answer")?;
    let token = body["token"].as_str().context("token")?.to_owned();

    println!("civicline bench cases: {clients} clients, {seconds} s per phase, {database}, {} cores",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let create_body = br#"{"category":"social-help","channel":"phone","description":"Bench: a citizen needs social assistance at home","location":{"address":"ul. Glavna 1","district":"Central"},"citizen":{"name":"Bench Citizen","phone":"0888123456","consent_contact":true}}"#;
    let create = phase("create case", addr, clients, seconds, &token, move |_, _| {
        ("POST", "/api/v1/cases".to_owned(), create_body.to_vec())
    })
    .await?;
    println!("{}", create.report());

    let (status, body) = connection.request("GET", "/api/v1/cases?limit=1", &token, b"").await?;
    let body: serde_json::Value = serde_json::from_slice(&body).context("list answer")?;
    let newest = body["items"][0]["reference"].as_str().context("a created case")?.to_owned();
    if status != 200 {
        bail!("listing cases failed with {status}");
    }
    let reference = domain::Reference::parse(&newest).context("reference")?;
    let count = reference.seq.max(1) as usize;
    let prefix = format!("{}-{}-", reference.prefix, reference.year);
    let read = phase("read case", addr, clients, seconds, &token, move |client, i| {
        let seq = (client * 7919 + i * 104_729) % count + 1;
        ("GET", format!("/api/v1/cases/{prefix}{seq:06}"), Vec::new())
    })
    .await?;
    println!("{}", read.report());

    shutdown.cancel();
    let _ = running.task.await;
    if let Some(path) = sqlite_path {
        let transactions = create.requests.max(1000);
        let raw_path = path.with_file_name("raw.db");
        let elapsed = store::bench::raw_sqlite_transactions(&raw_path, transactions)
            .await
            .context("raw transactions")?;
        let raw_rate = transactions as f64 / elapsed.as_secs_f64();
        let case_rate = create.requests as f64 / create.elapsed.as_secs_f64();
        println!(
            "raw sqlite tx    {transactions:>8} tx   {raw_rate:>9.0} tx/s   (one INSERT per transaction, synchronous=FULL, WAL)"
        );
        println!("ratio            durable case creations per second / raw durable transactions per second = {:.1}", case_rate / raw_rate);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
