using System.Text;
using ConformanceRunner.Wire;

namespace ConformanceRunner.Cases;

/// <summary>Small helpers the section files use to state cases as data.</summary>
internal static class Script
{
    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Repeat(byte value, int count)
    {
        var b = new byte[count];
        Array.Fill(b, value);
        return b;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    public static CaseDef Case(string id, string description, string expectation, Action<ScriptedCase, TestConnection> open,
        Action<ScriptedCase, TestConnection>? afterGrade = null, Action<ScriptedCase>? init = null,
        Func<ScriptedCase, TestConnection, byte[], bool, bool>? message = null, bool informational = false)
        => new(id, description, expectation,
            () => new ScriptedCase { Open = open, AfterGrade = afterGrade, Init = init, Message = message }, informational);

    /// <summary>Close-handling rule of section 7: a wrong close code also fails the behavior.</summary>
    public static void WrongCodeFails(ScriptedCase c, TestConnection p)
    {
        if (c.BehaviorClose == Verdict.WrongCode)
        {
            c.Behavior = Verdict.Failed;
            c.Result = c.ResultClose;
        }
    }
}
