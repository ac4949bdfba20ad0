//! `civicline bench`: performance figures, measured end to end.
//!
//! `bench cases` starts a real server on 127.0.0.1 (SQLite in a temporary directory, or the
//! PostgreSQL given), then runs concurrent keep-alive HTTP/1.1 clients against it: first case
//! creations, then case reads. It reports requests per second with p50 and p99 latency, and for
//! comparison the same clients on `/healthz` (no database, no login: what the HTTP stack and the
//! load generator cost by themselves) and, on SQLite, the rate of raw single-row durable
//! transactions. The load generator shares the machine (and the async runtime) with the server,
//! so the figures are a floor.
//!
//! `bench acd` times the pure ACD engine: single routing decisions on a large centre
//! (`acd::sim::Stress`: 10,000 agents, 200 queues, 20,000 waiting calls by default), with p50
//! and p99 latency per decision, and then a simulated day of a 1,000-agent centre through
//! `acd::sim`. Build with `--release`: debug builds are an order of magnitude slower.

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
    /// ACD routing decisions and simulated days, in process (no network, no database).
    Acd {
        /// Agents in the decision benchmark.
        #[arg(long, default_value_t = 10_000)]
        agents: u32,
        /// Queues in the decision benchmark.
        #[arg(long, default_value_t = 200)]
        queues: u32,
        /// Calls waiting at the start of the decision benchmark.
        #[arg(long, default_value_t = 20_000)]
        waiting: u32,
        /// Decisions timed.
        #[arg(long, default_value_t = 500_000)]
        decisions: u32,
        /// Agents of the simulated centre.
        #[arg(long, default_value_t = 1_000)]
        day_agents: u32,
        /// Seed of both workloads.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Cases { clients, seconds, database_url } => cases(clients, seconds, database_url).await,
        BenchCommand::Acd { agents, queues, waiting, decisions, day_agents, seed } => {
            let report =
                tokio::task::spawn_blocking(move || acd_bench(agents, queues, waiting, decisions, day_agents, seed))
                    .await
                    .context("run the acd benchmark")?;
            print_report(&report);
            Ok(())
        }
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
    // The whole program runs, phone switch included, but on a free port: 5060 may be taken.
    file.telephony.sip_listen = "127.0.0.1:0".into();
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

    let floor = phase("healthz (floor)", addr, clients, seconds, &token, |_, _| {
        ("GET", "/healthz".to_owned(), Vec::new())
    })
    .await?;
    println!("{}", floor.report());

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

#[allow(clippy::print_stdout)] // The figures are the command's output.
fn print_report(report: &str) {
    print!("{report}");
}

/// The ACD benchmark; returns the printed report. CPU-bound: run it off the async runtime.
fn acd_bench(agents: u32, queues: u32, waiting: u32, decisions: u32, day_agents: u32, seed: u64) -> String {
    use std::fmt::Write as _;

    let mut out = String::new();
    let started = Instant::now();
    let mut stress = acd::sim::Stress::new(seed, agents, queues, waiting);
    let _ = writeln!(
        out,
        "acd decisions: {agents} agents, {queues} queues, {waiting} waiting calls (built in {:.2} s)",
        started.elapsed().as_secs_f64()
    );
    // Warm up caches and the allocator before timing.
    for _ in 0..decisions.min(20_000) {
        stress.step();
    }
    let mut latencies = Vec::with_capacity(decisions as usize);
    let mut outputs = 0usize;
    let started = Instant::now();
    for _ in 0..decisions {
        let one = Instant::now();
        outputs += stress.step();
        latencies.push(one.elapsed());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |p: f64| {
        let index = ((latencies.len().saturating_sub(1)) as f64 * p).round() as usize;
        latencies.get(index).copied().unwrap_or_default().as_secs_f64() * 1e6
    };
    let waiting_now: usize = (0..queues)
        .filter_map(|queue| stress.engine().queue_view(acd::ids::QueueId(queue)))
        .map(|view| view.waiting)
        .sum();
    let _ = writeln!(
        out,
        "  {decisions} decisions in {:.2} s: {:.0} decisions/s, {outputs} outputs; per decision p50 {:.2} us, p99 {:.2} us, max {:.1} us (still waiting: {waiting_now})",
        elapsed.as_secs_f64(),
        f64::from(decisions) / elapsed.as_secs_f64(),
        at(0.50),
        at(0.99),
        at(1.0),
    );
    // A 10-hour day at about 85% occupancy with five-minute calls.
    let handle_secs = 300.0;
    let calls_per_hour = f64::from(day_agents) * 0.85 * 3600.0 / handle_secs;
    let config = acd::sim::SimConfig {
        seed,
        agents: day_agents,
        staffing: Vec::new(),
        patience: Some(acd::ids::Millis::from_secs(180)),
        arrivals_per_hour: vec![calls_per_hour; 40],
        interval: acd::ids::Millis::from_secs(900),
        handle_time: acd::sim::HandleTime::LogNormal {
            mean: acd::ids::Millis::from_secs(300),
            std_dev: acd::ids::Millis::from_secs(200),
        },
        strategy: acd::config::Strategy::LongestIdle,
        wrap_up: acd::ids::Millis::from_secs(10),
        service_level_target: acd::ids::Millis::from_secs(20),
    };
    let started = Instant::now();
    let report = acd::sim::simulate(&config);
    let elapsed = started.elapsed();
    let _ = writeln!(
        out,
        "acd day: {day_agents} agents, 10 h at {calls_per_hour:.0} calls/h: {} calls ({} answered, SL {:.1}%, occupancy {:.1}%) in {:.2} s: {:.0} calls/s, {:.0} engine inputs/s",
        report.offered,
        report.answered,
        report.service_level * 100.0,
        report.occupancy * 100.0,
        elapsed.as_secs_f64(),
        report.offered as f64 / elapsed.as_secs_f64(),
        report.engine_calls as f64 / elapsed.as_secs_f64(),
    );
    out
}
