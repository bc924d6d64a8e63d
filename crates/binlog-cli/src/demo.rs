//! `binlog demo`: a throwaway MariaDB (binlog-testkit), a small shop workload, its row changes
//! printed live through the same loop as `binlog tail`.
//!
//! The server lives in a temporary directory on a free port. It is stopped and its directory
//! removed when the demo ends: after the last round, on Ctrl-C or SIGTERM, and on an error
//! (binlog-testkit's `Server` does this on drop, and kills the server if this process dies).

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use binlog_signals::{BinlogPosition, ConfigBuilder, Start};
use binlog_testkit::Server;

use crate::cli::DemoArgs;
use crate::follow::{self, Ended, Follower, Streams};
use crate::output::OutputError;

const SCHEMA: &str = "CREATE DATABASE demo;\
    CREATE TABLE demo.customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(40) NOT NULL,\
      email VARCHAR(80), joined DATETIME(3) NOT NULL);\
    CREATE TABLE demo.products (sku CHAR(8) PRIMARY KEY, title VARCHAR(60) NOT NULL,\
      price DECIMAL(8,2) NOT NULL, stock INT UNSIGNED NOT NULL);\
    CREATE TABLE demo.orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL,\
      sku CHAR(8) NOT NULL, qty SMALLINT NOT NULL,\
      status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',\
      placed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))";

const NAMES: &[&str] = &["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis"];
const PRODUCTS: &[(&str, &str)] = &[
    ("Mechanical keyboard", "89.90"),
    ("USB-C cable (2 m)", "9.50"),
    ("27\" monitor", "249.00"),
    ("Laptop stand", "34.99"),
    ("Noise-cancelling headphones", "199.95"),
];

/// The statements of round `round` (1-based): each one is a transaction.
fn round_statements(round: u32) -> Vec<String> {
    let index = round.saturating_sub(1) as usize;
    let name = NAMES.get(index % NAMES.len()).copied().unwrap_or("Ada");
    let (title, price) = PRODUCTS
        .get(index % PRODUCTS.len())
        .copied()
        .unwrap_or(("Gadget", "1.00"));
    let sku = format!("SKU-{:04}", round % 10_000);
    let qty = round % 3 + 1;
    vec![
        format!("INSERT INTO demo.customers (name, email, joined) VALUES ('{name}', NULL, NOW(3))"),
        format!(
            "INSERT INTO demo.products VALUES ('{sku}', '{}', {price}, 100)",
            title.replace('\'', "''").replace('"', "\\\"")
        ),
        // One transaction, two tables: the order and the stock it takes.
        format!(
            "BEGIN; INSERT INTO demo.orders (customer_id, sku, qty) \
               SELECT MAX(id), '{sku}', {qty} FROM demo.customers; \
             UPDATE demo.products SET stock = stock - {qty} WHERE sku = '{sku}'; COMMIT"
        ),
        format!(
            "UPDATE demo.customers SET email = CONCAT(LOWER(name), '@example.com') \
             WHERE email IS NULL"
        ),
        "UPDATE demo.orders SET status = 'paid' WHERE status = 'new'".to_owned(),
        "UPDATE demo.orders SET status = 'shipped' WHERE status = 'paid'".to_owned(),
        format!(
            "INSERT INTO demo.orders (customer_id, sku, qty, status) \
             SELECT MAX(id), '{sku}', 1, 'cancelled' FROM demo.customers"
        ),
        "DELETE FROM demo.orders WHERE status = 'cancelled'".to_owned(),
    ]
}

/// Runs `binlog demo`.
pub(crate) async fn run(args: DemoArgs) -> ExitCode {
    // From here on Ctrl-C no longer kills the process: the server is always cleaned up (a
    // signal during the server's start takes effect once it is up).
    let signal = follow::interrupted();
    eprintln!("binlog demo: starting a throwaway MariaDB ...");
    let server = match Server::builder().start() {
        Ok(server) => Arc::new(server),
        Err(e) => {
            eprintln!("binlog demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "binlog demo: MariaDB pid {} on 127.0.0.1:{}, datadir {}",
        server.pid(),
        server.port(),
        server.datadir().display()
    );
    let code = demo(&server, &args, signal).await;
    let datadir = server.datadir();
    match Arc::try_unwrap(server) {
        // Stops the server cleanly; dropping it removes its directory.
        Ok(mut server) => {
            server.stop();
            drop(server);
        }
        Err(_) => eprintln!("binlog demo: the workload still holds the server; it is killed at exit"),
    }
    eprintln!(
        "binlog demo: server stopped, {} removed",
        datadir.parent().unwrap_or(&datadir).display()
    );
    code
}

async fn demo(server: &Arc<Server>, args: &DemoArgs, signal: impl Future<Output = ()>) -> ExitCode {
    if let Err(e) = server.try_sql(SCHEMA) {
        eprintln!("binlog demo: creating the demo tables: {e}");
        return ExitCode::FAILURE;
    }
    let config = match ConfigBuilder::from_url(&server.repl_url())
        .and_then(|b| b.start(Start::End).include("demo.*").build())
    {
        Ok(config) => config,
        Err(e) => {
            eprintln!("binlog demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (client, driver) = match binlog_signals::connect(config).await {
        Ok(connected) => connected,
        Err(e) => {
            eprintln!("binlog demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut streams = Streams::subscribe(&client);
    let driver = tokio::spawn(driver);
    match args.rounds {
        0 => eprintln!("binlog demo: running the workload until Ctrl-C; its row changes:"),
        n => eprintln!("binlog demo: running {n} round(s) of the workload; its row changes:"),
    }

    // The workload runs on its own thread (each statement is a `mariadb` client run); when
    // it is done it says where the binlog ends, and the demo stops once it printed that far.
    let stop = Arc::new(AtomicBool::new(false));
    let target: Arc<Mutex<Option<BinlogPosition>>> = Arc::default();
    let last: Arc<Mutex<Option<BinlogPosition>>> = Arc::default();
    let failed = Arc::new(AtomicBool::new(false));
    let workload = {
        let (server, stop, target) = (Arc::clone(server), Arc::clone(&stop), Arc::clone(&target));
        let failed = Arc::clone(&failed);
        let (rounds, pause) = (args.rounds, Duration::from_millis(args.pause_ms));
        thread::spawn(move || {
            let result = workload(&server, rounds, pause, &stop, &target);
            failed.store(result.is_err(), Ordering::Release);
            result
        })
    };
    let done = {
        let (target, last) = (Arc::clone(&target), Arc::clone(&last));
        async move {
            loop {
                if failed.load(Ordering::Acquire) {
                    return;
                }
                let reached = {
                    let target = target.lock().unwrap_or_else(PoisonError::into_inner);
                    let last = last.lock().unwrap_or_else(PoisonError::into_inner);
                    match (&*target, &*last) {
                        (Some(t), Some(l)) => (l.file(), l.position()) >= (t.file(), t.position()),
                        _ => false,
                    }
                };
                if reached {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    let stop_on = {
        let interrupted = Arc::clone(&interrupted);
        async move {
            tokio::select! {
                () = signal => interrupted.store(true, Ordering::Release),
                () = done => {}
            }
        }
    };
    let mut follower = Follower::new(args.format, None);
    let ended = follower
        .run(&client, &mut streams, stop_on, |position| {
            *last.lock().unwrap_or_else(PoisonError::into_inner) = Some(position.clone());
            false
        })
        .await;
    stop.store(true, Ordering::Release);
    client.shutdown();
    drop(streams);
    let _ = driver.await;
    let workload = workload.join();
    let interrupted = interrupted.load(Ordering::Acquire);
    eprintln!(
        "binlog demo: {} row changes shown{}",
        follower.rows,
        if interrupted { " (interrupted)" } else { "" }
    );
    match (ended, workload) {
        (Ended::Clean | Ended::Output(OutputError::Closed), Ok(Ok(()))) => ExitCode::SUCCESS,
        // Ctrl-C reaches the `mariadb` client the workload runs too.
        (Ended::Clean, Ok(Err(_))) if interrupted => ExitCode::SUCCESS,
        (Ended::Clean | Ended::Output(OutputError::Closed), Ok(Err(e))) => {
            eprintln!("binlog demo: workload: {e}");
            ExitCode::FAILURE
        }
        (Ended::Clean | Ended::Output(OutputError::Closed), Err(_)) => {
            eprintln!("binlog demo: the workload thread panicked");
            ExitCode::FAILURE
        }
        (Ended::Failed(message) | Ended::Checkpoint(message), _) => {
            eprintln!("binlog demo: {message}");
            ExitCode::FAILURE
        }
        (Ended::Output(e), _) => {
            eprintln!("binlog demo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `rounds` rounds (0: until `stop`), then stores where the binlog ends in `target`.
fn workload(
    server: &Server,
    rounds: u32,
    pause: Duration,
    stop: &AtomicBool,
    target: &Mutex<Option<BinlogPosition>>,
) -> Result<(), binlog_testkit::Error> {
    let mut round = 0u32;
    while rounds == 0 || round < rounds {
        round = round.saturating_add(1);
        for statement in round_statements(round) {
            if stop.load(Ordering::Acquire) {
                return Ok(());
            }
            thread::sleep(pause);
            server.try_sql(&statement)?;
        }
    }
    let rows = server.try_sql("SHOW MASTER STATUS")?;
    let end = rows
        .first()
        .and_then(|row| Some((row.first()?.clone()?, row.get(1)?.clone()?)))
        .and_then(|(file, position)| Some(BinlogPosition::new(file, position.parse().ok()?)));
    *target.lock().unwrap_or_else(PoisonError::into_inner) = end;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_vary_and_quote_titles() {
        let one = round_statements(1);
        let three = round_statements(3);
        assert_ne!(one, three);
        assert!(three[1].contains(r#"'27\" monitor'"#), "{}", three[1]);
        assert!(one.iter().any(|s| s.starts_with("DELETE")));
    }
}
