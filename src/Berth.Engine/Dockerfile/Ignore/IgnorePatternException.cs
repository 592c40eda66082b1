namespace Berth.Engine.Dockerfile.Ignore;

/// <summary>A <c>.dockerignore</c> pattern is malformed (Go's <c>syntax error in pattern</c>, or a lone <c>!</c>).</summary>
public sealed class IgnorePatternException(string message) : BerthException(message);
