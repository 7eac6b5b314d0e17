import { NavLink } from "react-router";

/** A row of links to the sub-pages of an area (wraps on a narrow screen). */
export function Tabs({ base, tabs }: { base: string; tabs: { path: string; label: string }[] }) {
  return (
    <nav className="tabs">
      {tabs.map((tab) => (
        <NavLink key={tab.path} to={`${base}/${tab.path}`} className={({ isActive }) => (isActive ? "active" : "")}>
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}
