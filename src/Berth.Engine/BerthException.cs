namespace Berth.Engine;

/// <summary>Base of every error Berth reports to a user: the message is one clear line, the CLI prints it and exits non-zero.</summary>
public class BerthException : Exception
{
    public BerthException(string message) : base(message) { }
    public BerthException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Exit code the CLI uses; Docker uses 1 for most command failures and 125 for daemon-side ones.</summary>
    public virtual int ExitCode => 1;
}

/// <summary>An object the user named does not exist (image, container, volume, tag).</summary>
public class NotFoundException(string message) : BerthException(message);

/// <summary>The operation conflicts with the store's state (image in use, name taken, ambiguous ID prefix).</summary>
public class ConflictException(string message) : BerthException(message);

/// <summary>User input is malformed (archive, manifest, flag value).</summary>
public class InvalidInputException : BerthException
{
    public InvalidInputException(string message) : base(message) { }
    public InvalidInputException(string message, Exception inner) : base(message, inner) { }
}
