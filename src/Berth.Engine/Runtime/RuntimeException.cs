namespace Berth.Engine.Runtime;

/// <summary>The OCI runtime or the monitor failed; the message is the runtime's own one-line explanation.</summary>
public class RuntimeException : BerthException
{
    public RuntimeException(string message) : base(message) { }
    public RuntimeException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Docker reports runtime failures as exit code 125 ("the error is with Docker itself") or 126/127 for exec problems.</summary>
    public override int ExitCode => 125;
}
