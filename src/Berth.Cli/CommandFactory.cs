using System.CommandLine;

namespace Berth.Cli;

/// <summary>
/// A command of the root, made when it is needed: a process runs one command, and making all of them with their options
/// is most of a short command's start-up (3.3 ms of `berth version`'s 13 ms on the 2-core bench machine).
/// <see cref="Name"/> is the name the made command has.
/// </summary>
public sealed record CommandFactory(string Name, Func<Command> Make);
