using System.Text;
using System.Text.Unicode;

namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>
/// Turns Dockerfile bytes into text without losing anything: bytes that are not valid UTF-8 are kept as
/// the lone surrogates U+DC80..U+DCFF (one per byte, as Python's "surrogateescape"), so the dump can print
/// them as Go does (<c>\xNN</c>) and <see cref="Encode"/> gives the original bytes back.
/// </summary>
public static class SourceText
{
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
            return Encoding.UTF8.GetString(bytes);
        var sb = new StringBuilder(bytes.Length);
        Span<char> pair = stackalloc char[2];
        while (!bytes.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(bytes, out var rune, out int consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                int n = rune.EncodeToUtf16(pair);
                sb.Append(pair[..n]);
                bytes = bytes[consumed..];
            }
            else
            {
                // Go decodes an invalid sequence one byte at a time; so do we.
                sb.Append((char)(0xDC00 + bytes[0]));
                bytes = bytes[1..];
            }
        }
        return sb.ToString();
    }

    /// <summary>The bytes <paramref name="text"/> was decoded from (escaped bytes restored).</summary>
    public static byte[] Encode(string text)
    {
        bool escaped = false;
        foreach (char c in text)
        {
            if (IsEscapedByte(c)) { escaped = true; break; }
        }
        if (!escaped)
            return Encoding.UTF8.GetBytes(text);
        var ms = new MemoryStream(text.Length + 8);
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (IsEscapedByte(c))
            {
                ms.WriteByte(EscapedByteValue(c));
                continue;
            }
            int n;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                n = new System.Text.Rune(c, text[i + 1]).EncodeToUtf8(buf);
                i++;
            }
            else
            {
                n = (char.IsSurrogate(c) ? System.Text.Rune.ReplacementChar : new System.Text.Rune(c)).EncodeToUtf8(buf);
            }
            ms.Write(buf[..n]);
        }
        return ms.ToArray();
    }

    internal static bool IsEscapedByte(char c) => c >= '\uDC80' && c <= '\uDCFF';

    internal static byte EscapedByteValue(char c) => (byte)(c - 0xDC00);
}
