namespace Berth.Engine;

/// <summary>Directory enumeration that sees every entry: .NET skips hidden (dot) files by default, a layer must not.</summary>
public static class FileEnumeration
{
    public static EnumerationOptions Everything(bool recurse, bool ignoreInaccessible = false) => new()
    {
        RecurseSubdirectories = recurse,
        AttributesToSkip = FileAttributes.None,
        IgnoreInaccessible = ignoreInaccessible,
    };
}
