namespace Berth.Engine.Build;

/// <summary>A build failed (a step, a source, a base image); the message is one line, prefixed with <c>Dockerfile:LINE</c> when a step failed.</summary>
public class BuildException : BerthException
{
    public BuildException(string message) : base(message) { }
    public BuildException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A RUN step exited non-zero: its exit code and the last lines it printed (the CLI shows them above the error).</summary>
public sealed class BuildStepFailedException(string message, int exitCode, IReadOnlyList<string> lastOutput) : BuildException(message)
{
    public int StepExitCode { get; } = exitCode;
    public IReadOnlyList<string> LastOutput { get; } = lastOutput;
}
