//! The AdminServer's commands (`admin.enableServer`): ZooKeeper's HTTP admin commands with
//! its names, aliases and JSON keys, for what zabd knows.
//!
//! Two differences from ZooKeeper 3.8, both in `specs/compatibility.md`: the server is off
//! unless enabled, and a command answers only if the four-letter word that shows the same
//! thing is on `4lw.commands.whitelist` (ZooKeeper's AdminServer ignores the whitelist, so
//! whatever an operator hides from `nc` it shows over HTTP). A refused command gets HTTP 403.
//!
//! A command's answer is computed on the core thread (`answers.rs`) in one step, so its
//! values agree with each other; what the configuration alone decides is built once at start
//! (`Static`), and directory sizes are read by the endpoint's task, off the core.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// `Fields` from `key => value` pairs of anything `serde_json::json!` takes.
macro_rules! fields {
    ($($k:expr => $v:expr),* $(,)?) => {
        vec![$(($k.to_string(), serde_json::json!($v))),*]
    };
}

mod answers;
mod fixed;

pub use fixed::{dir_sizes, Static};

/// One admin command: its primary name (what `/commands` lists and `command` reports), its
/// aliases, and the four-letter word that must be whitelisted for it to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    /// The primary name, ZooKeeper's.
    pub name: &'static str,
    /// Other names it answers to (ZooKeeper's, the four-letter word among them).
    pub aliases: &'static [&'static str],
    /// The four-letter word whose whitelisting opens it.
    pub word: &'static str,
    /// Whether it answers only while the server serves (ZooKeeper's `serverRequired`).
    pub needs_serving: bool,
}

const fn command(
    name: &'static str,
    aliases: &'static [&'static str],
    word: &'static str,
    needs_serving: bool,
) -> Command {
    Command {
        name,
        aliases,
        word,
        needs_serving,
    }
}

/// The commands zabd serves, sorted by primary name as `/commands` lists them. `leader`
/// names the leader's id and address, which `conf` shows, so `conf` opens it.
pub const COMMANDS: [Command; 16] = [
    command("configuration", &["conf", "config"], "conf", true),
    command("connection_stat_reset", &["crst"], "crst", true),
    command("connections", &["cons"], "cons", true),
    command("dirs", &[], "dirs", true),
    command("dump", &[], "dump", true),
    command("environment", &["env", "envi"], "envi", false),
    command("is_read_only", &["isro"], "isro", true),
    command("leader", &["lead"], "conf", true),
    command("monitor", &["mntr"], "mntr", false),
    command("ruok", &[], "ruok", true),
    command("server_stats", &["srvr"], "srvr", true),
    command("stat_reset", &["srst"], "srst", true),
    command("stats", &["stat"], "stat", true),
    command("watch_summary", &["wchs"], "wchs", true),
    command("watches", &["wchc"], "wchc", true),
    command("watches_by_path", &["wchp"], "wchp", true),
];

/// The command a request names, by primary name or alias (exactly, as ZooKeeper matches).
pub fn lookup(name: &str) -> Option<Command> {
    COMMANDS
        .into_iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// A command's own keys and values, in the order they are written.
pub type Fields = Vec<(String, Value)>;

/// What the core answers to a command.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The command's keys.
    Data(Fields),
    /// The command needs a serving server and this one is not (electing, synchronizing).
    NotServing,
    /// The command cannot say anything here (ZooKeeper's own error, written first).
    Error(String),
}

/// ZooKeeper's message for a command that needs a serving server.
pub const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests";

/// The JSON object a command's answer is sent as: its keys, then `command` and `error`, in
/// ZooKeeper's order. `asked` is the name as requested, which ZooKeeper echoes when the
/// command did not run.
pub fn envelope(command: Option<Command>, asked: &str, answer: Answer) -> Ordered {
    let text = |s: &str| Value::String(s.to_string());
    let Some(command) = command else {
        return Ordered(vec![
            ("command".into(), text(asked)),
            ("error".into(), text(&format!("Unknown command: {asked}"))),
        ]);
    };
    match answer {
        Answer::Data(mut fields) => {
            fields.push(("command".into(), text(command.name)));
            fields.push(("error".into(), Value::Null));
            Ordered(fields)
        }
        Answer::NotServing => Ordered(vec![
            ("command".into(), text(asked)),
            ("error".into(), text(NOT_SERVING)),
        ]),
        Answer::Error(e) => Ordered(vec![
            ("error".into(), text(&e)),
            ("command".into(), text(command.name)),
        ]),
    }
}

/// Puts the directory sizes (dataDir, dataLogDir) where `command` reports them: `dirs`'
/// own keys, or inside `server_stats`' object.
pub fn add_dir_sizes(command: Command, fields: &mut Fields, (data, log): (u64, u64)) {
    if command.name == "dirs" {
        *fields = fields!("datadir_size" => data, "logdir_size" => log);
        return;
    }
    let stats = fields.iter_mut().find(|(k, _)| k == "server_stats");
    if let Some((_, Value::Object(o))) = stats {
        o.insert("data_dir_size".into(), data.into());
        o.insert("log_dir_size".into(), log.into());
    }
}

/// The refusal of a command whose four-letter word is not whitelisted.
pub fn refusal(command: Command, asked: &str) -> Ordered {
    Ordered(vec![
        ("command".into(), Value::String(asked.to_string())),
        (
            "error".into(),
            Value::String(format!(
                "{asked} is not executed because {} is not in the whitelist \
                 (4lw.commands.whitelist).",
                command.word
            )),
        ),
    ])
}

/// A JSON object whose keys keep their order (serde_json's `Map` sorts them).
#[derive(Clone, Debug, PartialEq)]
pub struct Ordered(pub Fields);

impl Ordered {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique_and_listed_sorted() {
        let mut all: Vec<&str> = COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "a name or alias used twice");
        assert!(COMMANDS.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(lookup("mntr").unwrap().name, "monitor");
        assert_eq!(lookup("wchs").unwrap().name, "watch_summary");
        assert_eq!(lookup("wchc").unwrap().name, "watches");
        assert!(lookup("MNTR").is_none() && lookup("ruok/x").is_none());
    }

    #[test]
    fn the_envelope_puts_command_and_error_where_zookeeper_does() {
        let ruok = lookup("ruok");
        let ok = envelope(ruok, "ruok", Answer::Data(vec![]));
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"command":"ruok","error":null}"#
        );
        let srvr = lookup("srvr");
        let busy = envelope(srvr, "srvr", Answer::NotServing);
        assert_eq!(busy.get("command"), Some(&Value::from("srvr")));
        let lead = envelope(
            lookup("lead"),
            "lead",
            Answer::Error("server is not initialized".into()),
        );
        assert_eq!(
            serde_json::to_string(&lead).unwrap(),
            r#"{"error":"server is not initialized","command":"leader"}"#
        );
        let unknown = envelope(None, "nosuch", Answer::Data(vec![]));
        assert_eq!(
            unknown.get("error"),
            Some(&Value::from("Unknown command: nosuch"))
        );
        let data = envelope(
            lookup("isro"),
            "isro",
            Answer::Data(fields!("read_only" => false)),
        );
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"read_only":false,"command":"is_read_only","error":null}"#
        );
    }
}
