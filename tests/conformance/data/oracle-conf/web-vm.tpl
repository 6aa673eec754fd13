<title>FreeSWITCH Voicemail</title>
<body bgcolor=eeeeee>

<table bgcolor=ffffff width=75% align=center style="border-style:inset;border-width:2px">
<tr><td bgcolor=1010ff align=center valign=center style="border-style:inset;border-width:2px">
<font face=arial size=+2 color=ffffff>Voicemail Messages</font>
</td></tr>
<tr><td>

<!break>

</td></tr>
</table>
