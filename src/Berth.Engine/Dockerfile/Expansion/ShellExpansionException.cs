namespace Berth.Engine.Dockerfile.Expansion;

/// <summary>A Dockerfile word could not be expanded (bad substitution, unterminated quote, <c>${v:?msg}</c> on an unset variable, …).</summary>
public sealed class ShellExpansionException : BerthException
{
    public ShellExpansionException(string word, string reason)
        : base($"failed to process \"{word}\": {reason}")
    {
        Word = word;
        Reason = reason;
    }

    /// <summary>The text that was being expanded.</summary>
    public string Word { get; }

    /// <summary>What went wrong, without the word: e.g. <c>v: msg</c> or <c>syntax error: bad substitution</c>.</summary>
    public string Reason { get; }
}

/// <summary>Internal signal raised deep in the lexer; turned into <see cref="ShellExpansionException"/> at the entry point.</summary>
internal sealed class ShellLexError(string reason) : Exception(reason);
